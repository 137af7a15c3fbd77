/**
 * Oriented detection head (`taskHeads.detection.boxes: 'oriented'`), the rotated twin of the
 * anchor-free head in heads.ts, as rotated FCOS does it: per location class scores (sigmoid), the
 * distances l, t, r, b to the box sides measured in the box's own frame (softplus × stride) and the
 * box angle θ = π/2 · tanh(·) in (−π/2, π/2). The box is w = l + r, h = t + b, centred at the
 * location plus R(θ)·((r − l)/2, (b − t)/2), emitted as `det_rboxes` [N, M, 5] = cx, cy, w, h, θ in
 * input pixels (θ in radians turning +x toward +y; docs/tasks.md), top `maxCandidates` locations by
 * best class score, before NMS (which the SDK applies).
 */
import { attr } from '../../onnx/builder.js';
import type { EmitContext } from './context.js';

/** Oriented detection on the neck outputs `p`; same outputs as the axis-aligned head, boxes of width 5. */
export function emitOrientedDetection(
  ctx: EmitContext,
  p: string[],
): { detBoxes: string; detScores: string; detClasses: string } {
  const b = ctx.b;
  const c = ctx.config;
  const th = c.taskHeads;
  const n = th.neckDim;
  const stride = th.detection.stride;
  const level = Math.log2(stride / c.patchSize);
  const fh = c.inputSize.height / stride;
  const fw = c.inputSize.width / stride;
  const L = fh * fw;
  const K = th.detection.labels.length;
  const M = Math.min(th.detection.maxCandidates, L);
  const tower = b.op('Relu', [ctx.conv(p[level]!, n, n, 3, 'head.det.tower', 'head.det', { pad: 1 })]);
  // Focal-loss prior: initial class probability 0.01.
  const cls = ctx.conv(tower, n, K, 1, 'head.det.cls', 'head.det', { biasInit: -Math.log((1 - 0.01) / 0.01) });
  const ltrbMap = b.op('Mul', [
    b.op('Softplus', [ctx.conv(tower, n, 4, 1, 'head.det.box', 'head.det')]),
    b.float(stride),
  ]);
  const angleMap = b.op('Mul', [
    b.op('Tanh', [ctx.conv(tower, n, 1, 1, 'head.det.angle', 'head.det')]),
    b.float(Math.PI / 2),
  ]);
  const probs = ctx.reshape(b.op('Sigmoid', [cls]), [0, K, L]);
  const scores = ctx.reduce('ReduceMax', probs, [1], false);
  const classes = b.op('ArgMax', [probs], { axis: attr.i(1), keepdims: attr.i(0) });
  const ltrb = ctx.transpose(ctx.reshape(ltrbMap, [0, 4, L]), [0, 2, 1]); // [N, L, 4]
  const angle = ctx.transpose(ctx.reshape(angleMap, [0, 1, L]), [0, 2, 1]); // [N, L, 1]
  // (l, t, r, b) → (du, dv, w, h): du = (r − l)/2, dv = (b − t)/2, w = l + r, h = t + b.
  const mix = ctx.param('head.det.ltrb_to_offsets', 'head.det', [4, 4], {
    kind: 'data',
    data: Float32Array.of(-0.5, 0, 1, 0, 0, -0.5, 0, 1, 0.5, 0, 1, 0, 0, 0.5, 0, 1),
  });
  const mixed = b.op('MatMul', [ltrb, mix]);
  const col = (t: string, k: number) => b.op('Slice', [t, b.int64s([k]), b.int64s([k + 1]), b.int64s([2])]);
  const du = col(mixed, 0),
    dv = col(mixed, 1),
    w = col(mixed, 2),
    h = col(mixed, 3);
  const cos = b.op('Cos', [angle]);
  const sin = b.op('Sin', [angle]);
  const points = new Float32Array(L * 2);
  for (let y = 0; y < fh; y++)
    for (let x = 0; x < fw; x++) points.set([(x + 0.5) * stride, (y + 0.5) * stride], (y * fw + x) * 2);
  const point = ctx.param(`head.det.points.${fh}x${fw}`, 'head.det', [1, L, 2], { kind: 'data', data: points });
  const cx = b.op('Add', [col(point, 0), b.op('Sub', [b.op('Mul', [du, cos]), b.op('Mul', [dv, sin])])]);
  const cy = b.op('Add', [col(point, 1), b.op('Add', [b.op('Mul', [du, sin]), b.op('Mul', [dv, cos])])]);
  const rboxes = b.op('Concat', [cx, cy, w, h, angle], { axis: attr.i(2) }); // [N, L, 5]
  const [topScores, topIdx] = b.node(
    'TopK',
    [scores, b.int64s([M])],
    { axis: attr.i(1), largest: attr.i(1), sorted: attr.i(1) },
    { outputs: 2 },
  ) as [string, string];
  const detClasses = b.op('GatherElements', [classes, topIdx], { axis: attr.i(1) });
  const idx5 = b.op('Expand', [b.op('Unsqueeze', [topIdx, b.int64s([2])]), b.int64s([1, 1, 5])]);
  const detBoxes = b.op('GatherElements', [rboxes, idx5], { axis: attr.i(1) });
  return { detBoxes, detScores: topScores, detClasses };
}
