/**
 * Task heads on the trunk's multi-scale features: an FPN-style neck shared by segmentation,
 * detection and depth; classification on the pooled embedding; change detection on the feature
 * differences of two dates; a 1×1 fusion of co-registered modalities. Output contracts are in
 * docs/model-package.md.
 */
import { attr } from '../../onnx/builder.js';
import type { TaskHead } from '../config.js';
import type { EmitContext } from './context.js';
import { emitOrientedDetection } from './oriented-head.js';

/** FPN-lite: lateral 1×1 convs to `neckDim`, top-down nearest upsampling and sums. Returns P (stride 4..32). */
export function emitNeck(ctx: EmitContext, features: string[], name: string): string[] {
  const b = ctx.b;
  const n = ctx.config.taskHeads.neckDim;
  return b.scope(name, () => {
    const lateral = features.map((f, i) => ctx.conv(f, ctx.geometry[i]!.dim, n, 1, `${name}.lateral${i}`, name));
    const out: string[] = new Array(lateral.length);
    out[lateral.length - 1] = lateral[lateral.length - 1]!;
    for (let i = lateral.length - 2; i >= 0; i--)
      out[i] = b.op('Add', [lateral[i]!, ctx.upsample(out[i + 1]!, 2, 'nearest')]);
    return out;
  });
}

/** Output tensors of the task heads a config emits (absent: the head is not in `config.tasks`). */
export interface HeadOutputs {
  clsLogits?: string;
  segLogits?: string;
  detBoxes?: string;
  detScores?: string;
  detClasses?: string;
  depth?: string;
}

/**
 * The classification, segmentation, detection and depth heads that `config.tasks` lists; the
 * neck only when a dense head (segmentation, detection, depth) needs it.
 */
export function emitTaskHeads(ctx: EmitContext, features: string[], embedding: string): HeadOutputs {
  const b = ctx.b;
  const c = ctx.config;
  const th = c.taskHeads;
  const n = th.neckDim;
  const last = ctx.geometry[ctx.geometry.length - 1]!;
  const on = (t: TaskHead) => c.tasks.includes(t);
  const out: HeadOutputs = {};
  if (on('classification'))
    out.clsLogits = b.scope('head.cls', () =>
      ctx.linear(embedding, last.dim, th.classification.labels.length, 'head.cls.fc', 'head.cls'),
    );
  if (!on('segmentation') && !on('detection') && !on('depth')) return out;
  const p = emitNeck(ctx, features, 'head.neck');
  if (on('segmentation')) {
    out.segLogits = b.scope('head.seg', () =>
      ctx.upsample(
        ctx.conv(b.op('Relu', [p[0]!]), n, th.segmentation.labels.length, 1, 'head.seg.classifier', 'head.seg'),
        c.patchSize,
        'linear',
      ),
    );
  }
  if (on('depth'))
    out.depth = b.scope('head.depth', () =>
      ctx.upsample(
        b.op('Softplus', [ctx.conv(b.op('Relu', [p[0]!]), n, 1, 1, 'head.depth.regressor', 'head.depth')]),
        c.patchSize,
        'linear',
      ),
    );
  if (on('detection'))
    Object.assign(
      out,
      b.scope('head.det', () =>
        th.detection.boxes === 'oriented' ? emitOrientedDetection(ctx, p) : emitDetection(ctx, p),
      ),
    );
  return out;
}

/**
 * Anchor-free detection at stride 8 or 16: per location class scores (sigmoid) and distances to
 * the box sides (softplus × stride), decoded to boxes in input pixels, then the top
 * `maxCandidates` locations by best class score (before NMS, which the SDK applies).
 */
function emitDetection(ctx: EmitContext, p: string[]): { detBoxes: string; detScores: string; detClasses: string } {
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
  const box = b.op('Mul', [b.op('Softplus', [ctx.conv(tower, n, 4, 1, 'head.det.box', 'head.det')]), b.float(stride)]);
  const probs = ctx.reshape(b.op('Sigmoid', [cls]), [0, K, L]);
  const scores = ctx.reduce('ReduceMax', probs, [1], false);
  const classes = b.op('ArgMax', [probs], { axis: attr.i(1), keepdims: attr.i(0) });
  const ltrb = ctx.transpose(ctx.reshape(box, [0, 4, L]), [0, 2, 1]);
  const centres = new Float32Array(L * 4);
  for (let y = 0; y < fh; y++) {
    for (let x = 0; x < fw; x++) {
      const i = (y * fw + x) * 4;
      centres.set([(x + 0.5) * stride, (y + 0.5) * stride, (x + 0.5) * stride, (y + 0.5) * stride], i);
    }
  }
  const centre = ctx.param(`head.det.centres.${fh}x${fw}`, 'head.det', [1, L, 4], { kind: 'data', data: centres });
  const signs = ctx.param('head.det.signs', 'head.det', [1, 1, 4], {
    kind: 'data',
    data: Float32Array.of(-1, -1, 1, 1),
  });
  const limits = ctx.param(`head.det.limits.${c.inputSize.width}x${c.inputSize.height}`, 'head.det', [1, 1, 4], {
    kind: 'data',
    data: Float32Array.of(c.inputSize.width, c.inputSize.height, c.inputSize.width, c.inputSize.height),
  });
  const boxes = b.op('Min', [b.op('Max', [b.op('Add', [centre, b.op('Mul', [ltrb, signs])]), b.float(0)]), limits]);
  const [topScores, topIdx] = b.node(
    'TopK',
    [scores, b.int64s([M])],
    { axis: attr.i(1), largest: attr.i(1), sorted: attr.i(1) },
    { outputs: 2 },
  ) as [string, string];
  const detClasses = b.op('GatherElements', [classes, topIdx], { axis: attr.i(1) });
  const idx4 = b.op('Expand', [b.op('Unsqueeze', [topIdx, b.int64s([2])]), b.int64s([1, 1, 4])]);
  const detBoxes = b.op('GatherElements', [boxes, idx4], { axis: attr.i(1) });
  return { detBoxes, detScores: topScores, detClasses };
}

/** Fuses per-stage features of several modalities: concat on channels, 1×1 conv back to the stage width. */
export function emitFusion(ctx: EmitContext, perModality: string[][], name: string): string[] {
  const b = ctx.b;
  return b.scope(name, () =>
    ctx.geometry.map((g, i) => {
      const cat = b.op(
        'Concat',
        perModality.map((f) => f[i]!),
        { axis: attr.i(1) },
      );
      return ctx.conv(cat, g.dim * perModality.length, g.dim, 1, `${name}.proj${i}`, name);
    }),
  );
}

/** Change probability [N,1,H,W] from two dates' features: |f0 − f1| per stage → neck → 1×1 → sigmoid → upsample. */
export function emitChangeHead(ctx: EmitContext, f0: string[], f1: string[]): string {
  const b = ctx.b;
  return b.scope('head.change', () => {
    const diff = f0.map((f, i) => b.op('Abs', [b.op('Sub', [f, f1[i]!])]));
    const p = emitNeck(ctx, diff, 'head.change.neck');
    // Prior: change is rare (probability 0.01 where the two dates' features agree), as detection's prior.
    const logit = ctx.conv(
      b.op('Relu', [p[0]!]),
      ctx.config.taskHeads.neckDim,
      1,
      1,
      'head.change.classifier',
      'head.change',
      { biasInit: -Math.log((1 - 0.01) / 0.01) },
    );
    return ctx.upsample(b.op('Sigmoid', [logit]), ctx.config.patchSize, 'linear');
  });
}
