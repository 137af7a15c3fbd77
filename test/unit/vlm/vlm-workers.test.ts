/**
 * The default backend puts every session on its own worker thread, so the experts decode in
 * parallel; results equal the main-thread backend's token for token.
 */
import test from 'ava';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { OrtWorkerBackend } from '../../../sdk/runtime/backends/ort-worker.js';
import { createVlmRuntime } from '../../../sdk/vlm/vlm-runtime.js';
import { aerialFrame, rsmoePackage } from '../../helpers/rsmoe-package.js';

test('one worker thread per graph; same tokens as on the main thread', async (t) => {
  const { dir, manifest } = await rsmoePackage();
  const threads = new Map<string, number>();
  const workers = await createVlmRuntime({
    package: dir,
    backend: new OrtWorkerBackend({ onWorker: (w, graph) => threads.set(graph, w.threadId) }),
  });
  const main = await createVlmRuntime({ package: dir, backend: new OrtBackend() });
  t.teardown(async () => {
    await workers.close();
    await main.close();
  });
  t.is(threads.size, manifest.entries.length);
  t.is(new Set(threads.values()).size, manifest.entries.length);
  const q = 'how many ships are in the harbour?';
  const a = await workers.ask(aerialFrame('aero3'), q, { generation: { maxTokens: 8 } });
  const b = await main.ask(aerialFrame('aero3'), q, { generation: { maxTokens: 8 } });
  t.deepEqual(
    a.experts.map((e) => e.tokens),
    b.experts.map((e) => e.tokens),
  );
  t.is(a.text, b.text);
});
