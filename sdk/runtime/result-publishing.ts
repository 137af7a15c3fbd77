/**
 * Results of the runtime → MQTT: one message per task of each result, through the publisher's
 * outbox, in result order, with an id derived from the frame so a frame processed again (after a
 * crash and restart) yields the same ids and ground stations drop the copies.
 */
import { createHash } from 'node:crypto';
import type { Encoding } from '../mqtt/codec.js';
import type { ResultPublisher } from '../mqtt/publisher.js';
import type { InferenceResult, TaskResults } from '../pipeline/results.js';

/** Results whose outbox append has not finished, beyond which delivery waits (bounded memory). */
const MAX_PENDING = 64;

/**
 * The payload `result` field of a task message: the task's result plus where it came from.
 * Published under `<prefix>/<fleet>/<device>/results/<task>`.
 */
export interface RuntimeResultMessage {
  frameId: string;
  entry: string;
  modality: string;
  /** The frame's acquisition time as given. */
  timestamp: number | string;
  model: InferenceResult['model'];
  backend: string;
  latencyMs: InferenceResult['latencyMs'];
  frame: InferenceResult['frame'];
  warnings?: string[];
  /** The task's result (typed-array rasters only with the CBOR encoding; see `omitted`). */
  result: unknown;
  /** Raster fields left out because the JSON encoding cannot carry typed arrays. */
  omitted?: string[];
}

/**
 * The result id of one task of a frame: `<frameId>@<timestamp>/<task>`, or `h-<sha256>` of that when
 * longer than 256 characters. Stable across restarts, unique as long as (frame id, timestamp) is.
 * @example
 * resultId('cam0-000123', 1718000000000, 'detection'); // 'cam0-000123@1718000000000/detection'
 */
export function resultId(frameId: string, timestamp: number | string, task: string): string {
  const id = `${frameId}@${timestamp}/${task}`;
  return id.length <= 256 ? id : `h-${createHash('sha256').update(id).digest('hex')}`;
}

/** The message of one task; typed arrays are left out (and named) for JSON. */
export function taskMessage(r: InferenceResult, value: unknown, encoding: Encoding): RuntimeResultMessage {
  let result = value;
  let omitted: string[] | undefined;
  if (encoding === 'json' && typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>);
    const views = entries.filter(([, v]) => ArrayBuffer.isView(v)).map(([k]) => k);
    if (views.length) {
      omitted = views;
      result = Object.fromEntries(entries.filter(([k]) => !views.includes(k)));
    }
  }
  return {
    frameId: r.frameId,
    entry: r.entry,
    modality: r.modality,
    timestamp: r.timestamp,
    model: r.model,
    backend: r.backend,
    latencyMs: r.latencyMs,
    frame: r.frame,
    ...(r.warnings.length ? { warnings: r.warnings } : {}),
    result,
    ...(omitted ? { omitted } : {}),
  };
}

/**
 * Hands results to a publisher in order. Appends start in call order (the outbox numbers them
 * synchronously), so results leave in the order they were produced; at most {@link MAX_PENDING}
 * appends are outstanding, so a slow disk slows the pipeline instead of growing memory.
 */
export class ResultPublishing {
  private readonly pending: Promise<void>[] = [];
  /** Task messages handed to the outbox. */
  published = 0;
  /** Task messages the outbox refused (reported through `onError`). */
  failed = 0;

  constructor(
    private readonly publisher: ResultPublisher,
    private readonly encoding: Encoding,
    private readonly onError: (r: InferenceResult, err: unknown) => void,
  ) {}

  /**
   * Queues every task of `r`. Resolves when there is room for more, with `stored`: a promise that
   * settles (never rejects) once all of `r`'s messages are in the outbox — durable there under the
   * outbox's policy — or failed (reported through `onError`).
   */
  async publish(r: InferenceResult): Promise<{ stored: Promise<void> }> {
    const mine: Promise<void>[] = [];
    for (const [task, value] of Object.entries(r.tasks) as [keyof TaskResults, unknown][]) {
      const p = this.publisher
        .publishResult(task, taskMessage(r, value, this.encoding), {
          id: resultId(r.frameId, r.timestamp, task),
          frameId: r.frameId,
          modelVersion: `${r.model.name}@${r.model.version}`,
        })
        .then(
          () => void this.published++,
          (err: unknown) => {
            this.failed++;
            this.onError(r, err);
          },
        );
      this.pending.push(p);
      mine.push(p);
      void p.then(() => this.pending.splice(this.pending.indexOf(p), 1));
    }
    while (this.pending.length > MAX_PENDING) await this.pending[0];
    return { stored: Promise.all(mine).then(() => undefined) };
  }

  /** Resolves once every queued message is in the outbox. */
  async flush(): Promise<void> {
    while (this.pending.length) await Promise.all([...this.pending]);
  }
}
