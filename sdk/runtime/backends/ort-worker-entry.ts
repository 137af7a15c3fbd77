/**
 * Worker-thread entry of OrtWorkerBackend: creates one onnxruntime session from `workerData`, runs
 * the batches the session posts, one at a time and in order, and moves the outputs back. onnxruntime
 * runs a session synchronously on the thread that calls it: here that is this thread, so the main
 * thread's event loop keeps running meanwhile. A release runs after the runs posted before it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../../core/errors.js';
import { graphInputs, loadOrt, ortSessionOptions, type OrtOutput } from './ort-common.js';
import { wireTensors, type FromWorker, type ToWorker, type WorkerSettings } from './ort-worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('ort-worker-entry must run as a worker thread');
const settings = workerData as WorkerSettings;
const post = (m: FromWorker, transferList: ArrayBuffer[] = []) => port.postMessage(m, transferList);

const ort = await loadOrt();
let session: import('onnxruntime-node').InferenceSession | undefined;
try {
  session = await ort.InferenceSession.create(settings.graphPath, ortSessionOptions(settings));
} catch (err) {
  post({ type: 'load-failed', reason: messageOf(err) });
}

if (session) {
  const s = session;
  // One message at a time, in arrival order: runs never interleave and a release waits for them.
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain
      .then(() => handle(s, m))
      .catch((err: unknown) => {
        if (m.type === 'run') post({ type: 'run-failed', id: m.id, reason: messageOf(err) });
      });
  });
  post({ type: 'ready', inputs: graphInputs(s), outputNames: [...s.outputNames] });
}

async function handle(s: import('onnxruntime-node').InferenceSession, m: ToWorker): Promise<void> {
  if (m.type === 'release') {
    await s.release().catch(() => undefined);
    post({ type: 'released' });
    return;
  }
  let result: Record<string, OrtOutput>;
  try {
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [name, t] of Object.entries(m.feeds))
      feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    result = m.outputs ? await s.run(feeds, m.outputs) : await s.run(feeds);
  } catch (err) {
    post({ type: 'run-failed', id: m.id, reason: messageOf(err) });
    return;
  }
  const outputs: Record<string, { type: string; dims: number[]; data: ArrayBufferView }> = {};
  for (const [name, t] of Object.entries(result)) {
    // Non-tensor data (strings) is cloned as it is; the main thread refuses it with the same error
    // the in-thread backend gives.
    outputs[name] = { type: t.type, dims: [...t.dims], data: t.data as ArrayBufferView };
  }
  const views = Object.fromEntries(Object.entries(outputs).filter(([, t]) => ArrayBuffer.isView(t.data)));
  const { tensors, transferList } = wireTensors(views, true);
  const message: FromWorker = { type: 'result', id: m.id, outputs: { ...outputs, ...tensors } };
  try {
    post(message, transferList);
  } catch (err) {
    // A buffer onnxruntime will not let go of cannot be moved: copy it instead; failing that, say why.
    try {
      post(message);
    } catch {
      post({
        type: 'run-failed',
        id: m.id,
        reason: `its outputs cannot be sent back from the worker thread: ${messageOf(err)}`,
      });
    }
  }
}
