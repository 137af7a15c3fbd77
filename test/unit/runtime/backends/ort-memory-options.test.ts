/**
 * onnxruntime's memory options through backendOptions: checked at load (coded errors naming the
 * option), handed to onnxruntime as its session options, and sessions loaded with them off give
 * the same outputs as with onnxruntime's defaults, on both onnxruntime backends.
 */
import test from 'ava';
import { join } from 'node:path';
import { ortSessionOptions, sessionSettings } from '../../../../sdk/runtime/backends/ort-common.js';
import { OrtBackend } from '../../../../sdk/runtime/backends/ort.js';
import { OrtWorkerBackend } from '../../../../sdk/runtime/backends/ort-worker.js';
import { randomFeeds, tinyPackage } from '../../../helpers/packages.js';

const OFF = { enableMemPattern: false, enableCpuMemArena: false, prepacking: false };

test('memory options become onnxruntime session options; absent ones keep onnxruntime defaults', (t) => {
  const none = ortSessionOptions(sessionSettings({ graphPath: 'g.onnx' }));
  t.false('enableMemPattern' in none);
  t.false('enableCpuMemArena' in none);
  t.false('extra' in none);
  const off = ortSessionOptions(sessionSettings({ graphPath: 'g.onnx', extra: OFF }));
  t.is(off.enableMemPattern, false);
  t.is(off.enableCpuMemArena, false);
  t.deepEqual(off.extra, { session: { disable_prepacking: '1' } });
  const on = ortSessionOptions(sessionSettings({ graphPath: 'g.onnx', extra: { prepacking: true } }));
  t.false('extra' in on, 'prepacking on is onnxruntime default: nothing to set');
});

for (const key of Object.keys(OFF)) {
  test(`BAD CALL - backendOptions.${key} that is not a boolean is E_INVALID_ARGUMENT naming it`, async (t) => {
    const err = t.throws(() => sessionSettings({ graphPath: 'g.onnx', extra: { [key]: 'no' } }));
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
    t.regex(err!.message, new RegExp(`extra\\.${key}`));
    // The worker backend refuses it before a thread starts, with the same error.
    const werr = await t.throwsAsync(new OrtWorkerBackend().load({ graphPath: 'g.onnx', extra: { [key]: 1 } }));
    t.is((werr as { code?: string }).code, 'E_INVALID_ARGUMENT');
  });
}

test('sessions with memory pattern, arena and pre-packing off give the default sessions outputs, in both backends', async (t) => {
  const { dir, manifest } = await tinyPackage();
  const entry = manifest.entries.find((e) => e.name === 'optical')!;
  const graphPath = join(dir, entry.graph);
  const feeds = () => randomFeeds(entry, 2, 5);
  const reference = await new OrtBackend().load({ graphPath });
  try {
    const want = await reference.run(feeds());
    for (const backend of [new OrtBackend(), new OrtWorkerBackend()]) {
      const s = await backend.load({ graphPath, extra: OFF });
      try {
        // Twice: the second run is the one a memory pattern would have been planned for.
        for (let i = 0; i < 2; i++) {
          const got = await s.run(feeds());
          for (const [name, x] of Object.entries(want)) {
            const y = got[name]!;
            t.deepEqual(y.shape, x.shape, name);
            if (x.dtype !== 'float32') {
              t.deepEqual(y.data, x.data, name);
              continue;
            }
            const a = x.data as Float32Array;
            const b = y.data as Float32Array;
            let worst = 0;
            for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
            t.true(worst <= 1e-4, `${name}: max |Δ| ${worst}`);
          }
        }
      } finally {
        await s.dispose();
      }
    }
  } finally {
    await reference.dispose();
  }
});
