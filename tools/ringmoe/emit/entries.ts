/**
 * One ONNX graph per entry point: one per modality, fusion entries, bi-temporal change entries.
 */
import { EdgeError } from '../../../sdk/internal.js';
import type { EntryManifest, InputSpec, MoeClusterRecord, OutputSpec } from '../../../sdk/internal.js';
import type { ModalityId, TaskId } from '../../../sdk/internal.js';
import { type GraphBuilder } from '../../onnx/builder.js';
import type { BlockExpertMap } from '../../../sdk/internal.js';
import { modalityOf, type FusionConfig, type RingMoEConfig, type TaskHead } from '../config.js';
import type { EmitContext } from './context.js';
import { emitChangeHead, emitFusion, emitTaskHeads } from './heads.js';
import { emitTrunk } from './trunk.js';

export type EntryPlan =
  | { kind: 'modality'; modality: ModalityId }
  | { kind: 'fusion'; fusion: FusionConfig }
  | { kind: 'change'; modality: ModalityId };

/** The entries a config defines, in manifest order. */
export function plannedEntries(c: RingMoEConfig): { name: string; plan: EntryPlan }[] {
  return [
    ...c.modalities.map((m) => ({ name: m.id, plan: { kind: 'modality', modality: m.id } as EntryPlan })),
    ...c.fusion.map((f) => ({ name: f.name, plan: { kind: 'fusion', fusion: f } as EntryPlan })),
    ...c.change.map((m) => ({ name: `change-${m}`, plan: { kind: 'change', modality: m } as EntryPlan })),
  ];
}

/** Graph input name of a modality inside a fusion entry (`image_sar_l2`). */
export function fusionInputName(modality: ModalityId): string {
  return `image_${modality.replace(/-/g, '_')}`;
}

function outputSpecs(c: RingMoEConfig, geometry: { dim: number }[]): OutputSpec[] {
  const { height: H, width: W } = c.inputSize;
  const th = c.taskHeads;
  const M = Math.min(th.detection.maxCandidates, (H / th.detection.stride) * (W / th.detection.stride));
  const last = geometry[geometry.length - 1]!.dim;
  const all: OutputSpec[] = [
    {
      name: 'embedding',
      dtype: 'float32',
      shape: ['N', last],
      task: 'features',
      kind: 'embedding',
      description: 'global-average-pooled last-stage feature',
    },
    ...geometry.map((g, i) => {
      const s = c.patchSize * 2 ** i;
      return {
        name: `features_s${s}`,
        dtype: 'float32',
        shape: ['N', g.dim, H / s, W / s],
        task: 'features',
        kind: 'features',
        stride: s,
        description: `trunk feature map at stride ${s} (after the stage's output norm)`,
      } as OutputSpec;
    }),
    {
      name: 'cls_logits',
      dtype: 'float32',
      shape: ['N', th.classification.labels.length],
      task: 'classification',
      kind: 'logits',
      description: 'scene-class logits; softmax gives probabilities; labels in manifest.labels.classification',
    },
    {
      name: 'seg_logits',
      dtype: 'float32',
      shape: ['N', th.segmentation.labels.length, H, W],
      task: 'segmentation',
      kind: 'logits',
      stride: 1,
      description: 'per-pixel class logits at input resolution; argmax over axis 1 gives the class map',
    },
    th.detection.boxes === 'oriented'
      ? {
          name: 'det_rboxes',
          dtype: 'float32',
          shape: ['N', M, 5],
          task: 'detection',
          kind: 'oriented-boxes',
          description:
            'top candidate oriented boxes cx,cy,w,h,angle in input pixels (angle in radians, clockwise on screen), before NMS',
        }
      : {
          name: 'det_boxes',
          dtype: 'float32',
          shape: ['N', M, 4],
          task: 'detection',
          kind: 'boxes',
          range: [0, Math.max(H, W)],
          description: 'top candidate boxes x1,y1,x2,y2 in input pixels, before NMS',
        },
    {
      name: 'det_scores',
      dtype: 'float32',
      shape: ['N', M],
      task: 'detection',
      kind: 'scores',
      range: [0, 1],
      description: 'best class probability of each candidate, sorted descending',
    },
    {
      name: 'det_classes',
      dtype: 'int64',
      shape: ['N', M],
      task: 'detection',
      kind: 'classes',
      range: [0, th.detection.labels.length - 1],
      description: 'class index of each candidate; labels in manifest.labels.detection',
    },
    {
      name: 'depth',
      dtype: 'float32',
      shape: ['N', 1, H, W],
      task: 'depth',
      kind: 'depth',
      stride: 1,
      range: [0, Number.MAX_VALUE],
      description: 'non-negative elevation/depth in metres at input resolution',
    },
  ];
  return all.filter((o) => o.task === 'features' || c.tasks.includes(o.task as TaskHead));
}

/** Manifest tasks of a modality or fusion entry: the emitted heads, then features. */
function entryTasks(c: RingMoEConfig): TaskId[] {
  return [...c.tasks, 'features'];
}

/**
 * Builds one entry's graph in `ctx.b` and returns its manifest record (weightFiles is filled in by
 * the caller from the graph's initializers).
 */
export function emitEntry(
  ctx: EmitContext,
  name: string,
  plan: EntryPlan,
  blocks: BlockExpertMap[][],
): Omit<EntryManifest, 'weightFiles'> {
  const b: GraphBuilder = ctx.b;
  const c = ctx.config;
  const { height: H, width: W } = c.inputSize;
  const clusters: MoeClusterRecord[] = [];
  const inputs: InputSpec[] = [];
  const image = (inputName: string, modality: ModalityId, role: string) => {
    const ch = modalityOf(c, modality).channels;
    inputs.push({
      name: inputName,
      dtype: 'float32',
      shape: ['N', ch, H, W],
      role,
      modality,
      layout: 'NCHW',
      description: `${modality} frame, preprocessed`,
    });
    return b.input(inputName, 'float32', ['N', ch, H, W]);
  };
  const declareTaskOutputs = (features: string[], embedding: string) => {
    const heads = emitTaskHeads(ctx, features, embedding);
    const specs = outputSpecs(c, ctx.geometry);
    const tensors: Record<string, string | undefined> = {
      embedding,
      ...Object.fromEntries(features.map((f, i) => [`features_s${c.patchSize * 2 ** i}`, f])),
      cls_logits: heads.clsLogits,
      seg_logits: heads.segLogits,
      det_boxes: heads.detBoxes,
      det_rboxes: heads.detBoxes,
      det_scores: heads.detScores,
      det_classes: heads.detClasses,
      depth: heads.depth,
    };
    for (const s of specs) {
      const t = tensors[s.name];
      if (t === undefined)
        throw new EdgeError('E_INTERNAL', `output ${s.name} is declared but its head was not emitted`);
      b.output(t, s.name, s.dtype, s.shape);
    }
    return specs;
  };
  if (plan.kind === 'modality') {
    const x = image('image', plan.modality, 'image');
    const t = emitTrunk(ctx, x, plan.modality, plan.modality, blocks);
    clusters.push(...t.clusters);
    const outputs = declareTaskOutputs(t.features, t.embedding);
    return {
      name,
      kind: 'modality',
      graph: `${name}.onnx`,
      modalities: [plan.modality],
      tasks: entryTasks(c),
      inputs,
      outputs,
      moe: clusters,
    };
  }
  if (plan.kind === 'fusion') {
    const passes = plan.fusion.modalities.map((m) => {
      const t = emitTrunk(ctx, image(fusionInputName(m), m, `image:${m}`), m, m, blocks);
      clusters.push(...t.clusters);
      return t;
    });
    const fused = emitFusion(
      ctx,
      passes.map((p) => p.features),
      `fusion.${plan.fusion.name}`,
    );
    const last = fused[fused.length - 1]!;
    const embedding = ctx.reduce('ReduceMean', last, [2, 3], false);
    const outputs = declareTaskOutputs(fused, embedding);
    return {
      name,
      kind: 'fusion',
      graph: `${name}.onnx`,
      modalities: [...plan.fusion.modalities],
      tasks: entryTasks(c),
      inputs,
      outputs,
      moe: clusters,
    };
  }
  const t0 = emitTrunk(ctx, image('image_t0', plan.modality, 'image-t0'), plan.modality, 't0', blocks);
  const t1 = emitTrunk(ctx, image('image_t1', plan.modality, 'image-t1'), plan.modality, 't1', blocks);
  clusters.push(...t0.clusters, ...t1.clusters);
  const change = emitChangeHead(ctx, t0.features, t1.features);
  b.output(change, 'change_prob', 'float32', ['N', 1, H, W]);
  return {
    name,
    kind: 'change',
    graph: `${name}.onnx`,
    modalities: [plan.modality],
    tasks: ['change'],
    inputs,
    outputs: [
      {
        name: 'change_prob',
        dtype: 'float32',
        shape: ['N', 1, H, W],
        task: 'change',
        kind: 'change-probability',
        stride: 1,
        range: [0, 1],
        description: 'probability that each pixel changed between image_t0 and image_t1',
      },
    ],
    moe: clusters,
  };
}
