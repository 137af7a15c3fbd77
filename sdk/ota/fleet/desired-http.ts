/**
 * The desired state over HTTP: a publisher's blob server also serves the signed desired-state
 * message at `<base>/desired/<fleet>` and `<base>/desired/<fleet>/<device>`. A device provisioned
 * with such base URLs fetches it when the broker's retained copy does not verify (another client
 * replaced it) and when it starts, so a forged retained message cannot keep it from the real
 * release. What is fetched goes through the same signature checks as an MQTT message.
 */
import { DEFAULT_BUNDLE_LIMITS } from '../bundle/bundle-manifest.js';

/** Options of {@link fetchDesiredMessages}. */
export interface DesiredFetchOptions {
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  /** Largest message read (default the desired-state limit, 16 KiB). */
  maxBytes?: number;
  /** Injected fetch (default the global one). */
  fetch?: typeof globalThis.fetch;
}

/**
 * Fetches the desired-state messages for `device` of `fleet` from each base URL: the device's own
 * first, then the fleet's. Unreachable servers, missing states and oversized answers are skipped.
 * @returns message bytes, unverified (feed them to `OtaAgent.handleDesired`)
 * @example
 * for (const m of await fetchDesiredMessages(['http://publisher:8080'], 'north', 'drone-7')) await agent.handleDesired(m);
 */
export async function fetchDesiredMessages(
  bases: string[],
  fleet: string,
  device: string,
  o: DesiredFetchOptions = {},
): Promise<{ url: string; bytes: Uint8Array }[]> {
  const doFetch = o.fetch ?? globalThis.fetch;
  const max = o.maxBytes ?? DEFAULT_BUNDLE_LIMITS.desiredBytes;
  const out: { url: string; bytes: Uint8Array }[] = [];
  for (const base of bases) {
    for (const path of [
      `desired/${encodeURIComponent(fleet)}/${encodeURIComponent(device)}`,
      `desired/${encodeURIComponent(fleet)}`,
    ]) {
      const url = `${base.replace(/\/+$/, '')}/${path}`;
      try {
        const res = await doFetch(url, { signal: AbortSignal.timeout(o.timeoutMs ?? 5000), redirect: 'error' });
        if (res.status !== 200 || !res.body) {
          await res.body?.cancel().catch(() => {});
          continue;
        }
        if (Number(res.headers.get('content-length') ?? 0) > max) {
          await res.body.cancel().catch(() => {});
          continue;
        }
        const bytes = await readBounded(res.body, max);
        if (bytes) out.push({ url, bytes });
      } catch {
        // unreachable or timed out: the next source
      }
    }
  }
  return out;
}

async function readBounded(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}
