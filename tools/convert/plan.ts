/**
 * `planConversion`: a pure function from a checkpoint's index and a config (given or inferred) to
 * the conversion plan — which checkpoint tensors feed which package tensor, what is ignored, what
 * is initialised — or one error listing every missing, unexpected and mis-shaped tensor at once.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { RingMoEConfig } from '../ringmoe/config.js';
import type { CheckpointIndex } from './checkpoint.js';
import { isFloat } from './dtype.js';
import { headPrefixes, requestedHeads } from './heads.js';
import {
  describeConfig,
  inferReleasedConfig,
  inferSwinConfig,
  resolveInferred,
  type InferredConfig,
} from './infer-config.js';
import { denseExpertMaps, denseHiddenWidths, denseSelection, isDenseCheckpoint } from './dense-names.js';
import type { CheckpointFamily, ConversionPlan, Feed } from './plan-types.js';
import { isReleasedIgnored, releasedFeeds, releasedHeadFeeds } from './released-names.js';
import { isSwinIgnored, SWIN_HEAD, swinFeeds, swinPrefix } from './swin-names.js';

export interface PlanOptions {
  /** `swin`: upcycle a dense Hugging Face SwinV2 checkpoint; default: released RingMoE names. */
  from?: 'ringmoe' | 'swin';
  /** The config to convert to; inferred from the checkpoint's shapes when absent. */
  config?: RingMoEConfig;
  /** Seed task heads the checkpoint lacks (listed in the lineage) instead of refusing. */
  allowUntrainedHeads?: boolean;
}

/** Attention flavour of a config's graphs (configs written before the field existed are v2). */
export function flavourOf(c: RingMoEConfig): 'v1' | 'v2' {
  return c.attention;
}

/** Flavours the graph builder of this build emits. */
export function builderFlavours(): ('v1' | 'v2')[] {
  return ['v1', 'v2'];
}

const MAX_LISTED = 60;

function listProblems(problems: string[]): string {
  const shown = problems.slice(0, MAX_LISTED).map((p) => `\n  - ${p}`);
  return shown.join('') + (problems.length > MAX_LISTED ? `\n  … and ${problems.length - MAX_LISTED} more` : '');
}

function family(index: CheckpointIndex, from: PlanOptions['from']): CheckpointFamily {
  const names = [...index.tensors.keys()];
  const hf = names.some((n) => /^(swinv2|swin)\.|^embeddings\.patch_embeddings\./.test(n));
  if (from === 'swin') return 'swinv2-hf';
  if (hf) {
    throw new EdgeError(
      'E_CHECKPOINT_FOREIGN',
      'the checkpoint has Hugging Face Swin names (swinv2.* / swin.*), not released RingMoE names',
      { file: index.file, hint: 'give --from swin to upcycle a dense SwinV2 checkpoint' },
    );
  }
  const v3 = names.find((n) => /\.attn\.relative_position_bias\.cpb_mlp\./.test(n));
  if (v3) {
    throw new EdgeError(
      'E_CHECKPOINT_FOREIGN',
      `${v3} is the released code's WindowAttentionV3, which clamps the logit scale with max(x, ln 100) where SwinV2 (and the package's v2 graphs) take min(x, ln 100); its weights would compute another function`,
      {
        file: index.file,
        hint: 'train with the v1 window attention of the released blocks, or SwinV2 attention named as in docs/convert.md',
      },
    );
  }
  if (!names.some((n) => n.startsWith('encoder.'))) {
    throw new EdgeError(
      'E_CHECKPOINT_FOREIGN',
      `no released RingMoE tensors (encoder.patch_embed…, encoder.layers…); it holds ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
      { file: index.file },
    );
  }
  return 'ringmoe';
}

/**
 * Plans the conversion of the checkpoint `index` (pure: reads no tensor data).
 * @throws EdgeError E_CHECKPOINT_FOREIGN (another model family), E_CHECKPOINT_MISMATCH (every
 *   missing/unexpected/mis-shaped tensor, naming the config the checkpoint looks like),
 *   E_CHECKPOINT_UNTRAINED_HEADS, E_CONFIG (an inferred config breaks a rule)
 */
export function planConversion(index: CheckpointIndex, o: PlanOptions = {}): ConversionPlan {
  const fam = family(index, o.from);
  const names = new Set(index.tensors.keys());
  const prefix = fam === 'swinv2-hf' ? swinPrefix(names, index.file) : '';
  let inferred: InferredConfig | undefined;
  let inferError: unknown;
  try {
    inferred = fam === 'swinv2-hf' ? inferSwinConfig(index, prefix) : inferReleasedConfig(index);
  } catch (err) {
    if (!o.config) throw err;
    inferError = err;
  }
  const config = o.config ?? resolveInferred(inferred!, index.file);
  const lookAlike = () => {
    if (!inferred)
      return `the checkpoint's config could not be inferred (${(inferError as Error | undefined)?.message ?? 'unknown'})`;
    try {
      return `the checkpoint looks like ${describeConfig(resolveInferred(inferred, index.file))}`;
    } catch (err) {
      return `the checkpoint's shapes give no valid config (${(err as Error).message})`;
    }
  };
  const problems: string[] = [];
  const flavour = fam === 'swinv2-hf' ? 'v2' : flavourOf(config);
  if (fam === 'swinv2-hf' && flavourOf(config) !== 'v2')
    problems.push(
      `--from swin produces the v2 attention flavour (SwinV2), but config ${config.name} asks for ${flavourOf(config)}`,
    );
  if (!builderFlavours().includes(flavour))
    problems.push(
      `the checkpoint has ${flavour} attention, which this build's graph builder does not emit (it emits ${builderFlavours().join(', ')})`,
    );
  if (fam === 'ringmoe' && inferred?.written.attention && inferred.written.attention !== flavour && o.config) {
    problems.push(
      `the checkpoint holds ${inferred.written.attention} attention tensors but config ${config.name}'s graphs are ${flavour}`,
    );
  }

  // a collapsed (KC/KS/KA) checkpoint: one dense FFN per block, the layout `prune --strategy kc` writes
  const dense = fam === 'ringmoe' && isDenseCheckpoint(names);
  if (dense && config.modalities.length !== 1) {
    problems.push(
      `the checkpoint's block MLPs are dense (mlp.mapping / mlp.projection: a collapsed model), which serves one modality, but config ${config.name} has ${config.modalities.length} (${config.modalities.map((m) => m.id).join(', ')})`,
    );
  }
  const denseBlocks = dense ? denseExpertMaps(config, denseHiddenWidths(config, index)) : undefined;
  const cpbHidden =
    fam === 'swinv2-hf'
      ? (index.tensors.get(`${prefix}encoder.layers.0.blocks.0.attention.self.continuous_position_bias_mlp.0.weight`)
          ?.dims[0] ?? 512)
      : config.cpbHidden;
  const feeds: Feed[] =
    fam === 'swinv2-hf' ? swinFeeds(config, prefix, cpbHidden) : releasedFeeds(config, flavour, names, denseBlocks);
  const untrainedHeads: string[] = [];
  for (const head of requestedHeads(config)) {
    if (head !== 'classification') {
      untrainedHeads.push(head);
      continue;
    }
    const [w, b] =
      fam === 'swinv2-hf' ? [SWIN_HEAD.weight, SWIN_HEAD.bias] : ['head.cls.fc.weight', 'head.cls.fc.bias'];
    if (names.has(w) || names.has(b)) feeds.push(...releasedHeadFeeds(config, w, b));
    else untrainedHeads.push(head);
  }

  // one line per checkpoint tensor, naming the first package tensor it feeds and how many more
  const missing = new Map<string, { text: string; more: number }>();
  const shapes = new Map<string, { text: string; more: number }>();
  const note = (m: Map<string, { text: string; more: number }>, key: string, text: string) => {
    const prev = m.get(key);
    if (prev) prev.more++;
    else m.set(key, { text, more: 0 });
  };
  const used = new Set<string>();
  for (const f of feeds) {
    for (const s of f.sources) {
      used.add(s.name);
      const t = index.tensors.get(s.name);
      if (!t) {
        if (!s.optional) note(missing, s.name, `missing ${s.name} [${s.dims}] (for ${f.target}`);
        continue;
      }
      if (t.dims.length !== s.dims.length || t.dims.some((d, i) => d !== s.dims[i]))
        note(
          shapes,
          s.name,
          `${s.name} is [${t.dims}] in the checkpoint but the config needs [${s.dims}] (for ${f.target}`,
        );
      else if (!isFloat(t.dtype))
        note(shapes, s.name, `${s.name} is ${t.dtype}; weights must be Float32, Float16 or BFloat16 (for ${f.target}`);
    }
  }
  const lines = (m: Map<string, { text: string; more: number }>) =>
    [...m.values()].map((x) => `${x.text}${x.more ? ` and ${x.more} more` : ''})`);
  // a top-1 router over a single expert always picks it: the package has none, the checkpoint may
  const singleRouter = (name: string) =>
    /\.mlp\.(special_router(\.\d+)?|cross_router)\.dense\.weight$/.test(name) && index.tensors.get(name)!.dims[0] === 1;
  const ignore = fam === 'swinv2-hf' ? isSwinIgnored : (name: string) => isReleasedIgnored(name) || singleRouter(name);
  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const [name, t] of index.tensors) {
    if (used.has(name)) continue;
    if (ignore(name)) ignored.push(name);
    else unexpected.push(`unexpected ${name} [${t.dims}] (no package tensor takes it)`);
  }
  problems.push(...lines(missing), ...lines(shapes), ...unexpected);
  if (problems.length) {
    throw new EdgeError(
      'E_CHECKPOINT_MISMATCH',
      `${problems.length} problem(s) converting to config ${config.name} (${o.config ? 'given' : 'inferred'}); ${lookAlike()}:${listProblems(problems)}`,
      {
        file: index.file,
        ...(o.config
          ? { hint: 'give the config the checkpoint was trained with (--config), or leave --config out to infer it' }
          : {}),
      },
    );
  }
  if (untrainedHeads.length && !o.allowUntrainedHeads) {
    throw new EdgeError(
      'E_CHECKPOINT_UNTRAINED_HEADS',
      `config ${config.name} emits task heads the checkpoint does not hold: ${untrainedHeads.join(', ')}`,
      {
        file: index.file,
        hint: 'give --allow-untrained-heads to seed them (listed in the package lineage), or a config without them',
      },
    );
  }
  const denseInfo = denseBlocks
    ? {
        dense: { blocks: denseBlocks, selection: denseSelection(config, denseHiddenWidths(config, index), index.file) },
      }
    : {};
  return {
    file: index.file,
    format: index.format,
    family: fam,
    flavour,
    mlp: dense ? 'dense' : 'moe',
    ...denseInfo,
    config,
    configOrigin: o.config ? 'given' : 'inferred',
    feeds,
    ignored,
    untrainedHeads,
    ...(inferred?.guessed.length && !o.config ? { guessed: inferred.guessed } : {}),
  };
}

/** Name prefixes of the tensors of the plan's untrained heads. */
export function untrainedPrefixes(plan: ConversionPlan): string[] {
  return [...new Set(plan.untrainedHeads.flatMap(headPrefixes))];
}
