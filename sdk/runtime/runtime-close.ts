/**
 * What closing a runtime does, in order: the open work finishes, results are flushed to the MQTT
 * outbox, reporting stops (with MQTT: a last metrics tick, the `stopped` state, the publisher
 * drained up to a deadline), the preprocessing workers stop and every loaded model is freed.
 */
import type { ResultPublisher } from '../mqtt/publisher.js';
import type { PreprocessPool } from '../sensors/preprocess/pool.js';
import type { CloseReport } from './runtime-events.js';
import type { RuntimePieces } from './runtime-hosts.js';
import type { RuntimeReporting } from './runtime-reporting.js';

/** What closing finishes and frees of the runtime. */
export interface ClosingParts extends Pick<RuntimePieces, 'work' | 'delivery' | 'serving'> {
  readonly reporting: RuntimeReporting;
  readonly publisher: ResultPublisher | undefined;
  readonly pool: PreprocessPool | undefined;
}

/** Closes the parts of a runtime once (the caller keeps the promise; see `Runtime.close`). */
export async function closeRuntime(p: ClosingParts, options: { deadlineMs?: number }): Promise<CloseReport> {
  await p.work.finish();
  await p.delivery.publishing?.flush();
  p.reporting.stop();
  let report: CloseReport = { unsentResults: 0, drained: true };
  if (p.publisher) {
    await p.reporting.tick();
    await p.publisher.publishState(p.reporting.state('stopped')).catch(() => undefined);
    const r = await p.publisher.close({
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    });
    report = { unsentResults: r.pending, drained: r.drained };
  }
  await p.pool?.close();
  await Promise.all(p.serving.all.map((m) => m.dispose()));
  return report;
}
