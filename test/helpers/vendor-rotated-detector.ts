/**
 * A small "vendor rotated detector" ONNX model for end-to-end tests of oriented detection: it finds
 * the one bright object of each model input by image moments, so its boxes are computed from the
 * input, not constants. Per input: the channel sum, thresholded halfway between its minimum and
 * maximum; the centroid of the mask; the mask's second moments give the orientation
 * (½·atan2(2μ11, μ20 − μ02), through the half-angle form of atan) and the side lengths
 * (√(12σ² + 1) along and across it, exact for a rasterised axis-aligned bar). Score 1 for an object
 * wholly inside the input, 0.2 when its mask touches the input border (a cut-off object), 0 for a
 * flat input. Class 1 ("barge") when the box is less than 2.2 times as long as wide, else 0 ("ship").
 *
 * Vendor conventions it uses on purpose, which the import declares: boxes [N, 1, 5] as
 * cx, cy, w, h, angle with the angle in **degrees, counter-clockwise on screen**; scores [N, 1];
 * class ids [N, 1] int64; outputs named `dets`, `conf` and `cls`.
 */
import { writeFileSync } from 'node:fs';
import { attr, GraphBuilder, inlineTensor, makeModel } from '../../tools/onnx/builder.js';
import { DataType, ModelProtoSchema, toBinary } from '../../tools/onnx/proto.js';

/** Writes the model for square inputs of `size` pixels and 3 channels to `file`. */
export function writeVendorRotatedDetector(file: string, size: number): void {
  const b = new GraphBuilder('vendor-rotated-detector');
  const x = b.input('image', 'float32', ['N', 3, size, size]);
  const plane = (name: string, f: (u: number, v: number) => number) => {
    const d = new Float32Array(size * size);
    for (let v = 0; v < size; v++) for (let u = 0; u < size; u++) d[v * size + u] = f(u, v);
    return b.initializer(inlineTensor(name, 'float32', [1, size, size], d));
  };
  const U = plane('grid.u', (u) => u + 0.5);
  const V = plane('grid.v', (_u, v) => v + 0.5);
  const border = plane('grid.border', (u, v) => (u === 0 || v === 0 || u === size - 1 || v === size - 1 ? 1 : 0));
  const f = (v: number) => b.float(v);
  const axes12 = b.int64s([1, 2]);
  const sum12 = (t: string) => b.op('ReduceSum', [t, axes12], { keepdims: attr.i(0) });
  const g = b.op('ReduceSum', [x, b.int64s([1])], { keepdims: attr.i(0) });
  const mx = b.op('ReduceMax', [g], { axes: attr.ints([1, 2]), keepdims: attr.i(1) });
  const mn = b.op('ReduceMin', [g], { axes: attr.ints([1, 2]), keepdims: attr.i(1) });
  const mask = b.op('Cast', [b.op('Greater', [g, b.op('Mul', [b.op('Add', [mx, mn]), f(0.5)])])], {
    to: attr.i(DataType.FLOAT),
  });
  const area = sum12(mask);
  const a1 = b.op('Max', [area, f(1)]);
  const mean = (t: string) => b.op('Div', [sum12(b.op('Mul', [mask, t])), a1]);
  const cx = mean(U);
  const cy = mean(V);
  const m20 = b.op('Sub', [mean(b.op('Mul', [U, U])), b.op('Mul', [cx, cx])]);
  const m02 = b.op('Sub', [mean(b.op('Mul', [V, V])), b.op('Mul', [cy, cy])]);
  const m11 = b.op('Sub', [mean(b.op('Mul', [U, V])), b.op('Mul', [cx, cy])]);
  const da = b.op('Sub', [m20, m02]);
  const db = b.op('Mul', [m11, f(2)]);
  const r = b.op('Sqrt', [b.op('Add', [b.op('Mul', [da, da]), b.op('Mul', [db, db])])]);
  const theta = b.op('Atan', [b.op('Div', [db, b.op('Add', [b.op('Add', [r, da]), f(1e-6)])])]);
  const c = b.op('Cos', [theta]);
  const s = b.op('Sin', [theta]);
  const cc = b.op('Mul', [c, c]),
    ss = b.op('Mul', [s, s]),
    sc2 = b.op('Mul', [b.op('Mul', [s, c]), f(2)]);
  const varU = b.op('Add', [b.op('Add', [b.op('Mul', [m20, cc]), b.op('Mul', [m11, sc2])]), b.op('Mul', [m02, ss])]);
  const varV = b.op('Sub', [b.op('Add', [b.op('Mul', [m20, ss]), b.op('Mul', [m02, cc])]), b.op('Mul', [m11, sc2])]);
  const side = (v: string) => b.op('Sqrt', [b.op('Add', [b.op('Mul', [b.op('Relu', [v]), f(12)]), f(1)])]);
  const w = side(varU);
  const h = side(varV);
  const touches = b.op('ReduceMax', [b.op('Mul', [mask, border])], { axes: attr.ints([1, 2]), keepdims: attr.i(0) });
  const has = b.op('Min', [area, f(1)]);
  const score = b.op('Mul', [has, b.op('Sub', [f(1), b.op('Mul', [touches, f(0.8)])])]);
  const degCcw = b.op('Mul', [theta, f(-180 / Math.PI)]);
  const col = (t: string) => b.op('Unsqueeze', [t, b.int64s([1])]);
  const dets = b.op('Unsqueeze', [b.op('Concat', [cx, cy, w, h, degCcw].map(col), { axis: attr.i(1) }), b.int64s([1])]);
  const cls = b.op('Cast', [b.op('Less', [w, b.op('Mul', [h, f(2.2)])])], { to: attr.i(DataType.INT64) });
  b.output(dets, 'dets', 'float32', ['N', 1, 5]);
  b.output(col(score), 'conf', 'float32', ['N', 1]);
  b.output(col(cls), 'cls', 'int64', ['N', 1]);
  writeFileSync(file, toBinary(ModelProtoSchema, makeModel(b.build(), 17, { producer: 'vendor-rotated-detector' })));
}
