/**
 * Inference, the third stage of the streaming pipeline: ready frames are batched (same model, same
 * entry, up to `batch.max` inputs or `batch.deadlineMs`), run, and post-processed into outcomes in
 * the reorder buffer.
 *
 * Inference and post-processing are pipelined: batch k+1 is handed to the backend (which runs it
 * off this thread: a worker thread for onnxruntime, CUDA for TensorRT) before batch k is
 * post-processed here, so post-processing overlaps inference. At most one batch waits for
 * post-processing; when no frame is ready, it is post-processed at once (no added latency).
 */
import { EdgeError } from '../core/errors.js';
import type { Frame } from '../sensors/frame.js';
import type { BoundedQueue } from './bounded-queue.js';
import type { InferredBatch } from './frame-stages.js';
import type { LoadedModel } from './loaded-model.js';
import type { MetricsCollector } from './metrics.js';
import type { Prepared } from './preprocess.js';
import type { ReorderBuffer } from './reorder-buffer.js';
import { failure, type FrameOutcome } from './results.js';

/** What inference needs from the runtime. */
export interface InferHost {
  readonly metrics: MetricsCollector;
  readonly batchMax: number;
  readonly batchDeadlineMs: number;
  /** The entry a frame runs on (throws for a modality the model does not read). */
  entryOf(model: LoadedModel, frame: Frame): string;
  /** Inference of a batch of prepared frames of one entry; never rejects. */
  inferBatch(model: LoadedModel, entry: string, items: Prepared[]): Promise<InferredBatch>;
  /** Post-processing of an inferred batch (synchronous); releases each item's model lease. */
  postprocessBatch(batch: InferredBatch): FrameOutcome[];
}

/** A batch with the backend, not yet post-processed. */
interface InFlight {
  batch: Prepared[];
  inferred: Promise<InferredBatch>;
}

/** Batches, runs and post-processes every frame of `ready` until it is closed and drained. */
export async function infer(
  host: InferHost,
  ready: BoundedQueue<Prepared>,
  reorder: ReorderBuffer<FrameOutcome>,
): Promise<void> {
  let carry: Prepared | undefined;
  let inFlight: InFlight | undefined;
  const finishInFlight = async (): Promise<void> => {
    const f = inFlight!;
    inFlight = undefined;
    await postprocess(host, f, reorder);
  };
  for (;;) {
    if (inFlight && !carry && ready.depth === 0) await finishInFlight();
    let first = carry;
    carry = undefined;
    if (!first) {
      const r = await ready.take();
      if (r.done) break;
      first = r.value;
    }
    host.metrics.queueDepth.ready.depth = ready.depth;
    // A frame runs on the model it was preprocessed for: a swap takes effect for frames that
    // enter preprocessing after it, so no frame is dropped or run twice because of it.
    const model = first.lease.model;
    let entry: string;
    try {
      entry = host.entryOf(model, first.frame);
    } catch (err) {
      host.metrics.failed++;
      first.lease.release();
      reorder.put(first.seq, failure(first.id, 'inference', err));
      continue;
    }
    const { batch, next } = await collectBatch(host, ready, first, entry);
    carry = next;
    const started = { batch, inferred: host.inferBatch(model, entry, batch) };
    if (inFlight) await finishInFlight();
    inFlight = started;
  }
  if (inFlight) await finishInFlight();
}

/**
 * The batch that starts with `first`: ready frames of the same model and entry, up to `batchMax`
 * inputs, taken until the deadline. `next` is the first frame that does not fit (it starts the
 * next batch).
 */
async function collectBatch(
  host: InferHost,
  ready: BoundedQueue<Prepared>,
  first: Prepared,
  entry: string,
): Promise<{ batch: Prepared[]; next?: Prepared }> {
  const model = first.lease.model;
  const batch = [first];
  let inputs = first.pre.layout.tiles.length;
  const deadline = performance.now() + host.batchDeadlineMs;
  while (inputs < host.batchMax) {
    const next = await ready.takeWithin(deadline - performance.now());
    if (!next || next.done) break;
    if (next.value.lease.model !== model || !sameEntry(host, model, next.value.frame, entry))
      return { batch, next: next.value };
    batch.push(next.value);
    inputs += next.value.pre.layout.tiles.length;
  }
  return { batch };
}

/** Post-processes a batch whose inference was started; every frame of it gets an outcome. */
async function postprocess(host: InferHost, f: InFlight, reorder: ReorderBuffer<FrameOutcome>): Promise<void> {
  let results: FrameOutcome[];
  try {
    results = host.postprocessBatch(await f.inferred);
  } catch (err) {
    // Failures are per frame in the stages; this is a bug, but no frame may vanish.
    results = f.batch.map((it) =>
      failure(
        it.id,
        'inference',
        new EdgeError('E_INTERNAL', `batch failed unexpectedly: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
        }),
      ),
    );
    host.metrics.failed += f.batch.length;
  }
  f.batch.forEach((it, i) => reorder.put(it.seq, results[i]!));
}

function sameEntry(host: InferHost, model: LoadedModel, frame: Frame, entry: string): boolean {
  try {
    return host.entryOf(model, frame) === entry;
  } catch {
    return false;
  }
}
