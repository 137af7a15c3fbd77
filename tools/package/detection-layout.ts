/**
 * Declaring an imported model's detection outputs (a vendor's axis-aligned or rotated detector) so
 * the SDK post-processes them: the three declared graph outputs are renamed to the SDK contract
 * (`det_boxes` / `det_rboxes` / `det_quads`, `det_scores`, `det_classes`; docs/tasks.md) and an
 * angle in degrees or counted counter-clockwise on screen is turned into the contract's radians,
 * clockwise on screen, by one Mul node in the graph. Nothing else of the computation changes.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { OutputSpec } from '../../sdk/internal.js';
import { inlineTensor } from '../onnx/builder.js';
import { renameTensor } from '../onnx/graph.js';
import { create, NodeProtoSchema, type GraphProto } from '../onnx/proto.js';
import { tensorTypeOf } from '../onnx/value-info.js';

/** Box layouts a vendor output may have. */
export const BOX_LAYOUTS = ['xyxy', 'rbox', 'quad'] as const;
export type BoxLayout = (typeof BOX_LAYOUTS)[number];

/** Angle units and senses of an `rbox` output. */
export const ANGLE_FORMATS = ['rad', 'deg', 'rad-ccw', 'deg-ccw'] as const;
export type AngleFormat = (typeof ANGLE_FORMATS)[number];

/** Which graph outputs hold a detector's results, and how its boxes are laid out. */
export interface DetectionLayout {
  /** Graph output with the boxes, [N, M, 4 | 5 | 8]. */
  boxes: string;
  /** `xyxy` (x1, y1, x2, y2), `rbox` (cx, cy, w, h, angle) or `quad` (DOTA's x1, y1, …, x4, y4); all in input pixels. */
  layout: BoxLayout;
  /** `rbox` only: radians or degrees, clockwise on screen (default) or `-ccw` (default `rad`). */
  angle?: AngleFormat;
  /** Graph output with the scores in [0, 1], [N, M]. */
  scores: string;
  /** Graph output with the class ids, [N, M]. */
  classes: string;
}

const CONTRACT: Record<BoxLayout, { name: string; width: number; kind: OutputSpec['kind']; what: string }> = {
  xyxy: { name: 'det_boxes', width: 4, kind: 'boxes', what: 'candidate boxes x1,y1,x2,y2 in input pixels, before NMS' },
  rbox: {
    name: 'det_rboxes',
    width: 5,
    kind: 'oriented-boxes',
    what: 'candidate oriented boxes cx,cy,w,h,angle (radians, clockwise on screen) in input pixels, before NMS',
  },
  quad: {
    name: 'det_quads',
    width: 8,
    kind: 'quads',
    what: 'candidate boxes as four corner points x1,y1,...,x4,y4 in input pixels, before NMS',
  },
};

/**
 * Rewrites `graph` so the declared outputs follow the SDK detection contract, and returns their
 * output records (replacing the `raw` records of the same outputs).
 * @throws EdgeError E_INVALID_ARGUMENT naming the flag for an unknown output, a bad layout or a shape that cannot fit
 */
export function applyDetectionLayout(graph: GraphProto, d: DetectionLayout, file: string): OutputSpec[] {
  if (!BOX_LAYOUTS.includes(d.layout))
    throw bad('--det-layout', `${JSON.stringify(d.layout)} is not one of ${BOX_LAYOUTS.join(', ')}`, file);
  const angle = d.angle ?? 'rad';
  if (!ANGLE_FORMATS.includes(angle))
    throw bad('--det-angle', `${JSON.stringify(angle)} is not one of ${ANGLE_FORMATS.join(', ')}`, file);
  if (d.angle !== undefined && d.layout !== 'rbox') throw bad('--det-angle', 'only applies to --det-layout rbox', file);
  const names = [d.boxes, d.scores, d.classes];
  if (new Set(names).size !== 3)
    throw bad('--det-boxes', `the boxes, scores and classes outputs must differ (got ${names.join(', ')})`, file);
  const outputOf = (name: string, flag: string) => {
    const v = graph.output.find((o) => o.name === name);
    if (!v)
      throw bad(
        flag,
        `the model has no output ${JSON.stringify(name)}; outputs: ${graph.output.map((o) => o.name).join(', ')}`,
        file,
      );
    return { v, t: tensorTypeOf(v) };
  };
  const c = CONTRACT[d.layout];
  const boxes = outputOf(d.boxes, '--det-boxes');
  const scores = outputOf(d.scores, '--det-scores');
  const classes = outputOf(d.classes, '--det-classes');
  const last = boxes.t.shape[boxes.t.shape.length - 1];
  if (boxes.t.shape.length !== 3 || (typeof last === 'number' && last !== c.width)) {
    throw bad(
      '--det-boxes',
      `output ${d.boxes} has shape [${boxes.t.shape.join(', ')}]; --det-layout ${d.layout} needs [N, M, ${c.width}]`,
      file,
    );
  }
  if (scores.t.shape.length !== 2)
    throw bad('--det-scores', `output ${d.scores} has shape [${scores.t.shape.join(', ')}]; scores need [N, M]`, file);
  if (classes.t.shape.length !== 2)
    throw bad(
      '--det-classes',
      `output ${d.classes} has shape [${classes.t.shape.join(', ')}]; class ids need [N, M]`,
      file,
    );
  for (const n of ['det_boxes', 'det_rboxes', 'det_quads', 'det_scores', 'det_classes']) {
    if (
      !names.includes(n) &&
      (graph.output.some((o) => o.name === n) || graph.node.some((x) => x.output.includes(n)))
    ) {
      throw bad(
        '--det-boxes',
        `the model already has a tensor named ${n}; it would clash with the detection contract`,
        file,
      );
    }
  }
  const factor = (angle.startsWith('deg') ? Math.PI / 180 : 1) * (angle.endsWith('-ccw') ? -1 : 1);
  if (factor !== 1) {
    if (boxes.t.dtype !== 'float32')
      throw bad(
        '--det-angle',
        `converting the angle needs float32 boxes; output ${d.boxes} is ${boxes.t.elemTypeName}`,
        file,
      );
    const scale = `${c.name}.angle_scale`;
    graph.initializer.push(inlineTensor(scale, 'float32', [5], Float32Array.of(1, 1, 1, 1, factor)));
    graph.node.push(
      create(NodeProtoSchema, {
        name: `${c.name}.to_radians`,
        opType: 'Mul',
        input: [d.boxes, scale],
        output: [c.name],
      }),
    );
    boxes.v.name = c.name;
  } else {
    renameTensor(graph, d.boxes, c.name);
  }
  renameTensor(graph, d.scores, 'det_scores');
  renameTensor(graph, d.classes, 'det_classes');
  const spec = (
    name: string,
    t: ReturnType<typeof tensorTypeOf>,
    kind: OutputSpec['kind'],
    description: string,
    range?: [number, number],
  ): OutputSpec => ({
    name,
    dtype: t.dtype!,
    shape: t.shape,
    task: 'detection',
    kind,
    ...(range ? { range } : {}),
    description,
  });
  return [
    spec(
      c.name,
      boxes.t,
      c.kind,
      `${c.what} (imported from output ${d.boxes}${factor !== 1 ? `, angle ${angle} converted` : ''})`,
    ),
    spec('det_scores', scores.t, 'scores', `candidate scores (imported from output ${d.scores})`, [0, 1]),
    spec('det_classes', classes.t, 'classes', `candidate class ids (imported from output ${d.classes})`),
  ];
}

function bad(flag: string, why: string, file: string): EdgeError {
  return new EdgeError('E_INVALID_ARGUMENT', `${flag}: ${why}`, { file, field: flag });
}
