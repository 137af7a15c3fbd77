/**
 * Smoke test of the real addon: runs only where `npm run build:native` produced one and a CUDA device
 * is present (a Jetson or a workstation with TensorRT). Skips visibly elsewhere.
 */
import test from 'ava';
import { join } from 'node:path';
import { defaultBinding } from '../../sdk/core/binding.js';
import { isEdgeError } from '../../sdk/core/errors.js';
import { testIf } from '../helpers/shared-data.js';
import { tempDir, writeOnnx } from '../helpers/native-binding.js';

const loaded = defaultBinding();
const devices = loaded.ok ? loaded.binding.devices().devices : [];
if (!loaded.ok)
  test('addon not loadable here (skip note)', (t) => {
    t.log(`SKIPPED real-addon tests: tensorrt unavailable: ${loaded.reason}`);
    t.pass();
  });

testIf(loaded.ok, test)('real addon: versions name the loaded TensorRT and match the header major', (t) => {
  if (!loaded.ok) return;
  const v = loaded.binding.versions();
  t.regex(v.tensorrt, /^\d+\.\d+\.\d+$/);
  t.is(Number(v.tensorrtHeaders.split('.')[0]), v.tensorrtMajor);
});

testIf(loaded.ok && devices.length > 0, test)(
  'real addon: builds an fp32 engine from an ONNX file, runs it, and rejects garbage plans',
  async (t) => {
    if (!loaded.ok) return;
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    const onnx = join(dir, 'relu.onnx');
    writeOnnx(onnx, ['N', 3, 4, 4], { externalData: 'relu.weights', weight: -0.25 });
    const built = await loaded.binding.buildEngine({
      onnxPath: onnx,
      precision: 'fp32',
      profile: [{ input: 'x', min: [1, 3, 4, 4], opt: [2, 3, 4, 4], max: [4, 3, 4, 4] }],
    });
    t.regex(built.sha256, /^[0-9a-f]{64}$/);
    const engine = await loaded.binding.loadEngine(built.plan, { sha256: built.sha256 });
    const x = Float32Array.from({ length: 96 }, (_, i) => (i % 5) / 4);
    const [y] = await engine.run([{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 4], data: x }], []);
    t.deepEqual(y!.shape, [2, 3, 4, 4]);
    t.deepEqual(
      Array.from(y!.data as Float32Array),
      Array.from(x, (v) => Math.max(0, v - 0.25)),
    );
    engine.dispose();
    const err = await t.throwsAsync(loaded.binding.loadEngine(new Uint8Array(4096), {}));
    t.true(isEdgeError(err, 'E_ENGINE_FOREIGN'));
  },
);
