import test from 'ava';
import { loadTarget } from '../../../sdk/core/targets/load.js';
import { estimateMemory } from '../../../tools/planner/estimate.js';
import { ORT_PREPACKED_WEIGHT_SHARE, ORT_SESSION_FIXED_BYTES } from '../../../tools/planner/policy.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { fullSelection } from '../../../tools/ringmoe/params.js';
import { headParamsOf } from '../../../tools/planner/model-source.js';

const MIB = 2 ** 20;
const small = namedConfig('ringmoe-small');
const optical = { ...fullSelection(small), modalities: ['optical' as const] };

/** The planner's memory estimate of ringmoe-small's optical sub-model (sparse) on a target. */
async function estimateOptical(precision: 'fp32' | 'fp16', target: string) {
  return estimateMemory(small, optical, headParamsOf(small, false), precision, await loadTarget(target), 'sparse');
}

test("onnxruntime targets count onnxruntime's session overhead: a fixed part and pre-packed weight copies", async (t) => {
  const e = await estimateOptical('fp32', 'cpu-x86-64-onnxruntime');
  t.is(e.workspaceBytes, 0);
  t.is(e.sessionOverheadBytes, ORT_SESSION_FIXED_BYTES + Math.round(ORT_PREPACKED_WEIGHT_SHARE * e.weightsBytes));
  t.is(e.needBytes, e.weightsBytes + e.activationsBytes + e.sessionOverheadBytes);
});

test('the onnxruntime estimate of ringmoe-small optical (fp32) is within 25 % of the peak the runtime-memory bench measured', async (t) => {
  // BENCHMARKS.md, runtime-memory: the runtime's share of peak RSS, onnxruntime defaults, 16 frames.
  const measuredMiB = 300;
  const e = await estimateOptical('fp32', 'cpu-x86-64-onnxruntime');
  const ratio = e.needBytes / MIB / measuredMiB;
  t.true(
    ratio >= 0.75 && ratio <= 1.25,
    `estimate ${(e.needBytes / MIB).toFixed(0)} MiB = ${ratio.toFixed(2)}× measured`,
  );
  // Weights + activations alone, the model before it was measured, were 0.57× of it.
  t.true((e.weightsBytes + e.activationsBytes) / MIB / measuredMiB < 0.75);
});

test('TensorRT targets count their workspace and no onnxruntime overhead', async (t) => {
  const e = await estimateOptical('fp16', 'jetson-orin-nano-8gb');
  t.is(e.sessionOverheadBytes, 0);
  t.is(e.workspaceBytes, 256 * MIB);
  t.is(e.needBytes, e.weightsBytes + e.activationsBytes + e.workspaceBytes);
});
