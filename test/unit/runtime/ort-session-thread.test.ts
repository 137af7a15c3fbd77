/**
 * `options.onnxruntime.sessionThread`: the runtime runs onnxruntime sessions in worker threads by
 * default and on its own thread when asked, with the same results either way.
 */
import test from 'ava';
import { REAL } from '../../fixtures/frames/index.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { tinyPackage } from '../../helpers/packages.js';

const frame = { id: 'aero1', modality: 'optical', pixels: REAL.aero1, timestamp: 1_700_000_000_000 };

test('sessions run in worker threads by default, on the runtime thread with sessionThread: main; results agree', async (t) => {
  const { dir } = await tinyPackage();
  const results = [];
  for (const sessionThread of [undefined, 'worker', 'main'] as const) {
    const rt = await createRuntime({
      package: dir,
      verify: 'size',
      workers: 0,
      threads: 1,
      entries: ['optical'],
      ...(sessionThread ? { onnxruntime: { sessionThread } } : {}),
    });
    try {
      t.is(rt.backend, 'onnxruntime');
      const session = await rt.activeModel.session('optical');
      t.is(session.info.thread, sessionThread ?? 'worker');
      const r = await rt.infer(frame);
      t.is(r.backend, 'onnxruntime');
      results.push(r.tasks);
    } finally {
      await rt.close();
    }
  }
  t.deepEqual(results[1], results[0]);
  t.deepEqual(results[2], results[0]);
});
