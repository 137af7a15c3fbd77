/**
 * Worker-thread entry of the preprocessing pool: decodes and preprocesses frames off the main
 * thread and transfers the result buffers back. libvips' thread count and cache are set here for
 * the whole process (they are process-wide): a few threads per worker, no operation cache (frames are
 * never decoded twice).
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { preprocessFrame } from './preprocess.js';
import {
  resultTransferList,
  toWire,
  type JobMessage,
  type ResultMessage,
  type WorkerSettings,
} from './pool-protocol.js';

const settings = workerData as WorkerSettings;
sharp.concurrency(settings.vipsThreads);
sharp.cache(false);

const port = parentPort;
if (!port) throw new Error('preprocess-worker must run as a worker thread');

// Tell the pool the module graph loaded: only then is the worker usable.
port.postMessage({ ready: true });

port.on('message', (job: JobMessage) => {
  preprocessFrame(job.frame, job.options).then(
    (result) => port.postMessage({ id: job.id, ok: true, result } satisfies ResultMessage, resultTransferList(result)),
    (err: unknown) => port.postMessage({ id: job.id, ok: false, error: toWire(err) } satisfies ResultMessage),
  );
});
