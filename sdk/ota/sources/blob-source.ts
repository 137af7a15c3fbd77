/**
 * Fetching blobs into the slot store: each blob from the first source that has it, resumed from
 * where a previous attempt (or a previous run) stopped, verified against its sha256 before it
 * becomes visible. Transient failures (a dropped link) are retried with backoff and resume; a
 * blob that fails verification after a resume is fetched once more from zero (the partial bytes
 * may be what was damaged).
 */
import { EdgeError, messageOf } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { otaClock, sleep } from '../timing.js';
import type { BlobWriter, SlotStore } from '../slots/slot-store.js';

/** A blob to fetch. */
export interface BlobRequest {
  sha256: string;
  size: number;
  /** A package path that uses it, for messages. */
  path?: string;
  /** Per-chunk hashes from the signed manifest (chunk-hashes.ts), with their chunk size. */
  chunks?: string[];
  chunkBytes?: number;
}

/** Per-fetch options a source receives. */
export interface SourceFetchOptions {
  signal?: AbortSignal;
  /** Called with the number of bytes just written. */
  onBytes?: (n: number) => void;
}

/**
 * Somewhere blobs come from: an HTTP server, MQTT chunks, a directory.
 * A source writes the blob's bytes from `writer.offset` to `blob.size` and resolves; it throws
 * EdgeError E_BLOB_MISSING when it does not have the blob, E_BLOB_HASH when it sends more bytes
 * than listed, E_PATH_UNSAFE for a link, and any other code for a transient failure.
 */
export interface BlobSource {
  /** For messages: `http http://host:port`, `mqtt`, `dir /media/usb/bundle`. */
  readonly name: string;
  fetch(blob: BlobRequest, writer: BlobWriter, options?: SourceFetchOptions): Promise<void>;
  /** Frees connections. Idempotent. */
  close?(): Promise<void>;
}

/** Retry policy of {@link fetchBlob}. */
export interface FetchPolicy {
  /** Transient failures tolerated per source and blob (default 5). */
  retries?: number;
  /** First backoff delay in ms, doubled per retry up to 5 s (default 200). */
  retryDelayMs?: number;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** Called for each retry, for logs. */
  onRetry?: (source: string, blob: BlobRequest, reason: string) => void;
  /** What the backoff waits on (default: the system time). */
  clock?: Clock;
}

const SEVERITY: Record<string, number> = { E_PATH_UNSAFE: 3, E_BLOB_HASH: 2, E_BLOB_MISSING: 1 };

/**
 * Fetches one blob into `store` unless it is there already.
 * @throws EdgeError E_PATH_UNSAFE, E_BLOB_HASH (every source sent bad bytes), E_BLOB_MISSING (no
 *   source could deliver it; the message lists each source's reason)
 */
export async function fetchBlob(
  store: SlotStore,
  blob: BlobRequest,
  sources: readonly BlobSource[],
  policy: FetchPolicy = {},
): Promise<void> {
  if (await store.hasBlob(blob.sha256)) return;
  const retries = policy.retries ?? 5;
  const label = blob.path ?? `blob ${blob.sha256.slice(0, 12)}…`;
  const reasons: string[] = [];
  let worst: EdgeError | undefined;
  for (const source of sources) {
    let transient = 0;
    let restartedFromZero = false;
    for (;;) {
      policy.signal?.throwIfAborted();
      const writer = await store.openBlobWriter(blob.sha256);
      const startedAt = writer.offset;
      try {
        if (writer.offset > blob.size) await writer.reset();
        if (writer.offset < blob.size)
          await source.fetch(blob, writer, {
            ...(policy.signal ? { signal: policy.signal } : {}),
            ...(policy.onBytes ? { onBytes: policy.onBytes } : {}),
          });
        await writer.commit(blob.size);
        return;
      } catch (err) {
        await writer.close();
        if (policy.signal?.aborted) throw err;
        const e = err instanceof EdgeError ? err : new EdgeError('E_IO', messageOf(err), { cause: err });
        if (e.code === 'E_BLOB_HASH' && startedAt > 0 && !restartedFromZero) {
          // The kept partial bytes may be the damaged part (a cut write): one more try from zero.
          restartedFromZero = true;
          policy.onRetry?.(source.name, blob, `${e.message}; fetching again from zero`);
          continue;
        }
        if (e.code in SEVERITY) {
          reasons.push(`${source.name}: ${e.message}`);
          if (!worst || SEVERITY[e.code]! > SEVERITY[worst.code]!) worst = e;
          break;
        }
        transient++;
        if (transient > retries) {
          reasons.push(`${source.name}: gave up after ${retries} retries (${e.message})`);
          break;
        }
        policy.onRetry?.(source.name, blob, e.message);
        await sleep(
          policy.clock ?? otaClock,
          Math.min(5000, (policy.retryDelayMs ?? 200) * 2 ** (transient - 1)),
          policy.signal,
        );
      }
    }
  }
  if (!sources.length) reasons.push('no blob source is configured');
  const code = worst && worst.code !== 'E_BLOB_MISSING' ? worst.code : 'E_BLOB_MISSING';
  throw new EdgeError(code, `${label} cannot be fetched: ${reasons.join('; ')}`, { field: blob.sha256 });
}
