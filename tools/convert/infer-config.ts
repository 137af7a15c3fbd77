/**
 * The model config a checkpoint's shapes describe: modalities from the patch embeddings, width
 * and patch size from the first projection, depth per stage from the block names, heads and
 * window from the position-bias tables, input size from the shift masks or the window clipping,
 * MLP ratio and expert counts from the FFN stacks. What cannot be read from shapes (labels, neck
 * width) comes from ringmoe-tiny.
 */
import { EdgeError } from '../../sdk/internal.js';
import { MODALITY_SPECS, type ModalityId } from '../../sdk/internal.js';
import { NAMED_CONFIGS, resolveConfig, type RingMoEConfig, type WrittenRingMoEConfig } from '../ringmoe/config.js';
import type { CheckpointIndex } from './checkpoint.js';
import { RELEASED_MODALITY_ORDER } from './released-names.js';

export interface InferredConfig {
  written: WrittenRingMoEConfig & { attention?: 'v1' | 'v2' };
  /** Fields that shapes could not pin down and were chosen (said in the plan). */
  guessed: string[];
}

function dimsOf(index: CheckpointIndex, name: string): number[] | undefined {
  return index.tensors.get(name)?.dims;
}

function depthsOf(names: string[], layer: (i: number) => string): number[] {
  const depths: number[] = [];
  for (let i = 0; ; i++) {
    const p = layer(i);
    const blocks = new Set(names.filter((n) => n.startsWith(p)).map((n) => Number(n.slice(p.length).split('.')[0])));
    if (blocks.size === 0) return depths;
    depths.push(Math.max(...blocks) + 1);
  }
}

/** Window from a table of (2w−1)² offsets. */
function windowOfTable(rows: number): number {
  return (Math.round(Math.sqrt(rows)) + 1) / 2;
}

/**
 * Input size: a stage whose window is smaller than the config window has a feature map that
 * size; a shift mask [nW, w², w²] gives it too; otherwise the smallest size every window divides.
 */
function inputSide(windows: number[], masks: (number | undefined)[], patch: number, guessed: string[]): number {
  const w = windows[0]!;
  for (let s = 0; s < windows.length; s++) {
    if (masks[s] !== undefined) return windows[s]! * Math.round(Math.sqrt(masks[s]!)) * 2 ** s * patch;
  }
  for (let s = 0; s < windows.length; s++) if (windows[s]! < w) return windows[s]! * 2 ** s * patch;
  guessed.push(`inputSize (the smallest every window fits: last stage ${w}×${w})`);
  return w * 2 ** (windows.length - 1) * patch;
}

/**
 * Infers the config of a released-name checkpoint.
 * @throws EdgeError E_CHECKPOINT_FOREIGN when it has no patch embedding or blocks
 */
export function inferReleasedConfig(index: CheckpointIndex): InferredConfig {
  const names = [...index.tensors.keys()];
  const guessed: string[] = [];
  const embeds = names
    .map((n) => /^encoder\.patch_embed(\d*)\.projection\.weight$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null);
  if (embeds.length === 0)
    throw new EdgeError(
      'E_CHECKPOINT_FOREIGN',
      'no encoder.patch_embed*.projection.weight: not a released RingMoE checkpoint',
      { file: index.file },
    );
  const modalities: ModalityId[] = [];
  let first: number[] | undefined;
  for (const m of embeds.sort((a, b) => Number(a[1] || 0) - Number(b[1] || 0))) {
    const dims = dimsOf(index, m[0])!;
    first ??= dims;
    if (m[1] === '') {
      const id = RELEASED_MODALITY_ORDER.find(
        (x) => (MODALITY_SPECS as Record<string, { channels: number } | undefined>)[x]?.channels === dims[1],
      );
      if (!id)
        throw new EdgeError(
          'E_CHECKPOINT_FOREIGN',
          `the single patch embedding has ${dims[1]} channels, which no built-in modality has`,
          { file: index.file, field: m[0], hint: 'give --config with the modality' },
        );
      modalities.push(id);
      guessed.push(`modality ${id} (the only built-in modality with ${dims[1]} channels in the released order)`);
    } else {
      const id = RELEASED_MODALITY_ORDER[Number(m[1])];
      if (!id)
        throw new EdgeError(
          'E_CHECKPOINT_FOREIGN',
          `patch embedding index ${m[1]} is not a released modality (0 optical, 1 sar-l1, 2 sar-l2, 3 multispectral)`,
          { file: index.file, field: m[0] },
        );
      modalities.push(id);
    }
  }
  const depths = depthsOf(names, (i) => `encoder.layers.${i}.blocks.`);
  if (depths.length === 0)
    throw new EdgeError(
      'E_CHECKPOINT_FOREIGN',
      'no encoder.layers.{i}.blocks.{j} tensors: not a released RingMoE checkpoint',
      { file: index.file },
    );
  const heads: number[] = [];
  const windows: number[] = [];
  const masks: (number | undefined)[] = [];
  let attention: 'v1' | 'v2' = 'v1';
  for (let i = 0; i < depths.length; i++) {
    const p = `encoder.layers.${i}.blocks.0.attn.`;
    const table = dimsOf(index, `${p}relative_position_bias.relative_position_bias_table`);
    const scale = dimsOf(index, `${p}logit_scale`);
    const rpi = dimsOf(index, `${p}relative_position_index`);
    // shift mask of the stage's second block: [nW, w², w²], or the released [1, nW, 1, w², w²]
    const mask =
      depths[i]! > 1
        ? (dimsOf(index, `encoder.layers.${i}.blocks.1.attention_mask`) ??
          dimsOf(index, `encoder.layers.${i}.blocks.1.attn_mask`))
        : undefined;
    const t2 = mask ? mask[mask.length - 1]! : 0;
    masks.push(mask ? mask.reduce((a, b) => a * b, 1) / (t2 * t2) : undefined);
    if (table) {
      heads.push(table[1]!);
      windows.push(windowOfTable(table[0]!));
    } else if (scale) {
      attention = 'v2';
      heads.push(scale[0]!);
      const t = rpi?.[0] ?? mask?.[mask.length - 1];
      if (t === undefined)
        throw new EdgeError(
          'E_CHECKPOINT_FOREIGN',
          `stage ${i + 1}: no relative_position_index or attn_mask to read the window from`,
          { file: index.file, hint: 'give --config' },
        );
      windows.push(Math.round(Math.sqrt(t)));
    } else
      throw new EdgeError(
        'E_CHECKPOINT_FOREIGN',
        `stage ${i + 1} has no position-bias table (${p}relative_position_bias.relative_position_bias_table) or logit scale`,
        { file: index.file },
      );
  }
  const embedDim = first![0]!;
  const patchSize = first![2]!;
  const side = inputSide(windows, masks, patchSize, guessed);
  const b0 = 'encoder.layers.0.blocks.0.mlp.';
  const kOf = (m: ModalityId) =>
    embeds.length === 1 && embeds[0]![1] === '' ? '' : `.${RELEASED_MODALITY_ORDER.indexOf(m)}`;
  const special = dimsOf(index, `${b0}special_ffn${kOf(modalities[0]!)}.mapping.weight`);
  const cross = dimsOf(index, `${b0}cross_ffn.mapping.weight`);
  const pub = dimsOf(index, `${b0}public_ffn.mapping.weight`);
  // a collapsed checkpoint: one dense FFN per block (dense-names.ts), no expert stacks
  const dense = !special && !cross && !pub ? dimsOf(index, `${b0}mapping.weight`) : undefined;
  const hidden = special?.[2] ?? cross?.[2] ?? pub?.[1] ?? dense?.[1];
  const cls = dimsOf(index, 'head.cls.fc.weight');
  const cpb = dimsOf(index, 'encoder.layers.0.blocks.0.attn.cpb_mlp.0.weight');
  const written: InferredConfig['written'] = {
    base: 'ringmoe-tiny',
    name: 'ringmoe-converted',
    attention,
    patchSize,
    embedDim,
    depths,
    heads,
    window: windows[0]!,
    mlpRatio: hidden !== undefined ? hidden / embedDim : 4,
    ...(cpb ? { cpbHidden: cpb[0]! } : {}),
    inputSize: { height: side, width: side },
    modalities,
    // a dense checkpoint does not say how many experts it was collapsed from: the base's counts stand
    ...(dense
      ? {}
      : { experts: { modalPerModality: special?.[0] ?? 1, collaborative: cross?.[0] ?? 1, shared: pub ? 1 : 0 } }),
    fusion: [],
    change: [],
    ...(cls
      ? { taskHeads: { classification: { labels: Array.from({ length: cls[0]! }, (_, k) => `class_${k}`) } } }
      : {}),
  };
  if (dense)
    guessed.push(
      'experts (a dense checkpoint does not record the MoE it was collapsed from: ringmoe-tiny counts 4 modal / 4 collaborative / 1 shared)',
    );
  if (cls) guessed.push('classification labels (class_0 …; give --config for the names)');
  return { written, guessed };
}

/**
 * Infers the config of a Hugging Face SwinV2 checkpoint being upcycled (optical input, expert
 * counts of ringmoe-tiny).
 * @throws EdgeError E_CHECKPOINT_FOREIGN when the window cannot be read (no position index buffers)
 */
export function inferSwinConfig(index: CheckpointIndex, prefix: string): InferredConfig {
  const names = [...index.tensors.keys()];
  const guessed: string[] = [
    'experts (ringmoe-tiny counts: 4 modal per modality, 4 collaborative, 1 shared)',
    'modalities (optical, fed by the RGB patch embedding)',
  ];
  const proj = dimsOf(index, `${prefix}embeddings.patch_embeddings.projection.weight`)!;
  const depths = depthsOf(names, (i) => `${prefix}encoder.layers.${i}.blocks.`);
  const heads: number[] = [];
  const windows: number[] = [];
  for (let i = 0; i < depths.length; i++) {
    const s = `${prefix}encoder.layers.${i}.blocks.0.attention.self.`;
    const scale = dimsOf(index, `${s}logit_scale`);
    if (!scale)
      throw new EdgeError('E_CHECKPOINT_FOREIGN', `stage ${i + 1} has no ${s}logit_scale`, { file: index.file });
    heads.push(scale[0]!);
    const table = dimsOf(index, `${s}relative_coords_table`);
    const rpi = dimsOf(index, `${s}relative_position_index`);
    const w = table ? (table[1]! + 1) / 2 : rpi ? Math.round(Math.sqrt(rpi[0]!)) : undefined;
    if (w === undefined)
      throw new EdgeError(
        'E_CHECKPOINT_FOREIGN',
        `stage ${i + 1}: the window size is not in the checkpoint (no relative_coords_table or relative_position_index buffers)`,
        { file: index.file, hint: 'give --config with window and inputSize' },
      );
    windows.push(w);
  }
  const inter = dimsOf(index, `${prefix}encoder.layers.0.blocks.0.intermediate.dense.weight`);
  const cls = dimsOf(index, 'classifier.weight');
  const side = inputSide(
    windows,
    windows.map(() => undefined),
    proj[2]!,
    guessed,
  );
  const written: InferredConfig['written'] = {
    base: 'ringmoe-tiny',
    name: 'ringmoe-upcycled',
    attention: 'v2',
    patchSize: proj[2]!,
    embedDim: proj[0]!,
    depths,
    heads,
    window: windows[0]!,
    mlpRatio: inter ? inter[0]! / proj[0]! : 4,
    inputSize: { height: side, width: side },
    modalities: ['optical'],
    fusion: [],
    change: [],
    ...(cls
      ? { taskHeads: { classification: { labels: Array.from({ length: cls[0]! }, (_, k) => `class_${k}`) } } }
      : {}),
  };
  return { written, guessed };
}

/** Resolves an inferred config (its rules checked like any written config). */
export function resolveInferred(inferred: InferredConfig, file: string): RingMoEConfig {
  return resolveConfig(inferred.written, file);
}

/** One line describing the shape-relevant fields of a config, naming a named config that has them. */
export function describeConfig(c: RingMoEConfig): string {
  const key = (x: RingMoEConfig) =>
    JSON.stringify([
      x.patchSize,
      x.embedDim,
      x.depths,
      x.heads,
      x.window,
      x.mlpRatio,
      x.inputSize,
      x.modalities.map((m) => m.id),
      x.experts,
      (x as { attention?: string }).attention ?? 'v2',
    ]);
  const named = Object.values(NAMED_CONFIGS).find((n) => key(n) === key(c));
  const att = (c as { attention?: string }).attention;
  return (
    `${named ? `${named.name}: ` : ''}${att ? `attention ${att}, ` : ''}embedDim ${c.embedDim}, patchSize ${c.patchSize}, depths [${c.depths}], heads [${c.heads}], window ${c.window}, ` +
    `mlpRatio ${c.mlpRatio}, inputSize ${c.inputSize.height}x${c.inputSize.width}, modalities [${c.modalities.map((m) => m.id)}], ` +
    `experts ${c.experts.modalPerModality} modal/${c.experts.collaborative} collaborative/${c.experts.shared} shared`
  );
}
