/**
 * The RingMoE architecture config: written form (what a user or a manifest holds, partial),
 * resolved form (every field set, checked), and the rules that tie fields together.
 */
import { EdgeError } from '../../sdk/internal.js';
import { MODALITY_SPECS, isModalityIdSyntax, type ModalityId, type ModalitySpec } from '../../sdk/internal.js';

/** Expert counts of the hierarchical MoE in every block. */
export interface ExpertCounts {
  /** Modal-specialised experts per modality (a group per modality, its own top-1 router). */
  modalPerModality: number;
  /** Collaborative experts behind one shared top-1 router. */
  collaborative: number;
  /** Shared experts, always on (0 or 1). */
  shared: number;
}

export interface HeadsConfig {
  classification: { labels: string[] };
  segmentation: { labels: string[] };
  detection: {
    labels: string[];
    /** candidates kept before NMS */ maxCandidates: number;
    /** feature stride the head runs at */ stride: 8 | 16;
    /** `axis` (default) or `oriented` boxes (docs/tasks.md) */ boxes?: 'axis' | 'oriented';
  };
  /** Channels of the shared FPN-style neck feeding segmentation, detection, depth and change. */
  neckDim: number;
}

/** A task head the modality and fusion entries can emit. */
export type TaskHead = 'classification' | 'segmentation' | 'detection' | 'depth';
/** Every task head, in output order. */
export const TASK_HEADS: readonly TaskHead[] = ['classification', 'segmentation', 'detection', 'depth'];

/**
 * Window-attention flavour of the trunk. `v1`: Swin v1 attention as in RingMoE's released code
 * (dot product scaled by head_dim^-0.5, q/k/v biases, learned relative-position bias table,
 * layer-norm epsilons 1e-6, 1e-4 in patch merging). `v2`: SwinV2 scaled-cosine attention with
 * the continuous position bias, epsilons 1e-5.
 */
export type AttentionFlavour = 'v1' | 'v2';

/** A fusion entry: one graph taking co-registered frames of several modalities. */
export interface FusionConfig {
  name: string;
  modalities: ModalityId[];
}

export interface RingMoEConfig {
  name: string;
  patchSize: number;
  embedDim: number;
  /** Blocks per stage. */
  depths: number[];
  /** Attention heads per stage. */
  heads: number[];
  /** Window-attention flavour (see AttentionFlavour). */
  attention: AttentionFlavour;
  /** Window size (clipped to the feature size of a stage when larger). */
  window: number;
  mlpRatio: number;
  /** Hidden width of the continuous-position-bias MLP (precomputed into constants in graphs). */
  cpbHidden: number;
  /** Fixed spatial input size of every entry. */
  inputSize: { height: number; width: number };
  modalities: ModalitySpec[];
  experts: ExpertCounts;
  taskHeads: HeadsConfig;
  /** Task heads the modality and fusion entries emit (they always output embedding and features). */
  tasks: TaskHead[];
  fusion: FusionConfig[];
  /** Modalities that get a bi-temporal change-detection entry. */
  change: ModalityId[];
}

/** What a user writes: any field may be omitted and takes the named base config's value. */
export type WrittenRingMoEConfig = Partial<
  Omit<RingMoEConfig, 'modalities' | 'taskHeads' | 'experts' | 'inputSize'>
> & {
  /** Named config to start from (`ringmoe-tiny`, `ringmoe-small`, `ringmoe-14.7b`). */
  base?: string;
  modalities?: (ModalityId | ModalitySpec)[];
  experts?: Partial<ExpertCounts>;
  inputSize?: Partial<RingMoEConfig['inputSize']>;
  taskHeads?: Partial<HeadsConfig>;
};

const BUILTIN_MODALITY_LIST: ModalitySpec[] = Object.values(MODALITY_SPECS);

/** Scene classes of NWPU-RESISC45 (the classification benchmark the paper reports). */
export const RESISC45_LABELS = [
  'airplane',
  'airport',
  'baseball_diamond',
  'basketball_court',
  'beach',
  'bridge',
  'chaparral',
  'church',
  'circular_farmland',
  'cloud',
  'commercial_area',
  'dense_residential',
  'desert',
  'forest',
  'freeway',
  'golf_course',
  'ground_track_field',
  'harbor',
  'industrial_area',
  'intersection',
  'island',
  'lake',
  'meadow',
  'medium_residential',
  'mobile_home_park',
  'mountain',
  'overpass',
  'palace',
  'parking_lot',
  'railway',
  'railway_station',
  'rectangular_farmland',
  'river',
  'roundabout',
  'runway',
  'sea_ice',
  'ship',
  'snowberg',
  'sparse_residential',
  'stadium',
  'storage_tank',
  'tennis_court',
  'terrace',
  'thermal_power_station',
  'wetland',
];
/** Land-cover classes in the style of ISPRS/LoveDA segmentation benchmarks. */
export const LANDCOVER_LABELS = [
  'background',
  'building',
  'road',
  'water',
  'barren',
  'forest',
  'agriculture',
  'low_vegetation',
];
/** Object classes of DOTA v1.0 (the detection benchmark family the paper reports). */
export const DOTA_LABELS = [
  'plane',
  'ship',
  'storage_tank',
  'baseball_diamond',
  'tennis_court',
  'basketball_court',
  'ground_track_field',
  'harbor',
  'bridge',
  'large_vehicle',
  'small_vehicle',
  'helicopter',
  'roundabout',
  'soccer_ball_field',
  'swimming_pool',
];

const DEFAULT_HEADS: HeadsConfig = {
  classification: { labels: RESISC45_LABELS },
  segmentation: { labels: LANDCOVER_LABELS },
  detection: { labels: DOTA_LABELS, maxCandidates: 100, stride: 8 },
  neckDim: 64,
};

const common = {
  attention: 'v1' as AttentionFlavour,
  tasks: [...TASK_HEADS],
  mlpRatio: 4,
  cpbHidden: 512,
  modalities: BUILTIN_MODALITY_LIST,
  experts: { modalPerModality: 4, collaborative: 4, shared: 1 },
  fusion: [{ name: 'fusion-optical-sar-l2', modalities: ['optical', 'sar-l2'] }],
  change: ['optical', 'multispectral'],
};

/** The named configs. */
export const NAMED_CONFIGS: Record<string, RingMoEConfig> = {
  // For tests: the whole package is well under 5 MB and a forward pass takes milliseconds.
  'ringmoe-tiny': {
    ...common,
    name: 'ringmoe-tiny',
    patchSize: 4,
    embedDim: 8,
    depths: [2, 1, 1, 1],
    heads: [1, 2, 4, 8],
    window: 4,
    mlpRatio: 2,
    cpbHidden: 16,
    inputSize: { height: 64, width: 64 },
    taskHeads: { ...DEFAULT_HEADS, neckDim: 8, detection: { ...DEFAULT_HEADS.detection, maxCandidates: 32 } },
  },
  // For benchmarks: a few hundred MB, the paper's layout scaled down.
  'ringmoe-small': {
    ...common,
    name: 'ringmoe-small',
    patchSize: 4,
    embedDim: 48,
    depths: [2, 2, 6, 2],
    heads: [2, 4, 8, 16],
    window: 6,
    cpbHidden: 64,
    inputSize: { height: 192, width: 192 },
    taskHeads: { ...DEFAULT_HEADS, neckDim: 48 },
  },
  // The paper's config (SwinV2-giant trunk): 14.7B parameters. Accounted, never materialised here.
  'ringmoe-14.7b': {
    ...common,
    name: 'ringmoe-14.7b',
    patchSize: 4,
    embedDim: 448,
    depths: [2, 2, 18, 2],
    heads: [14, 28, 56, 112],
    window: 12,
    inputSize: { height: 192, width: 192 },
    taskHeads: { ...DEFAULT_HEADS, neckDim: 256 },
  },
};

/**
 * Finds a named config.
 * @throws EdgeError E_UNKNOWN_CONFIG listing the known names
 */
export function namedConfig(name: string): RingMoEConfig {
  const c = NAMED_CONFIGS[name];
  if (!c) {
    throw new EdgeError(
      'E_UNKNOWN_CONFIG',
      `unknown config ${JSON.stringify(name)}; known: ${Object.keys(NAMED_CONFIGS).join(', ')}`,
      { field: 'config' },
    );
  }
  return structuredClone(c);
}

/** Stage geometry: width, heads, feature size, effective window, shift, for each stage. */
export interface StageGeometry {
  stage: number;
  dim: number;
  heads: number;
  depth: number;
  height: number;
  width: number;
  window: number;
  /** Shift of odd blocks (0 when the window covers the whole feature map). */
  shift: number;
  hidden: number;
}

export function stageGeometry(c: RingMoEConfig): StageGeometry[] {
  return c.depths.map((depth, s) => {
    const height = c.inputSize.height / c.patchSize / 2 ** s;
    const width = c.inputSize.width / c.patchSize / 2 ** s;
    const window = Math.min(c.window, height, width);
    const dim = c.embedDim * 2 ** s;
    return {
      stage: s + 1,
      dim,
      heads: c.heads[s]!,
      depth,
      height,
      width,
      window,
      shift: window < Math.min(height, width) ? Math.floor(window / 2) : 0,
      hidden: Math.round(dim * c.mlpRatio),
    };
  });
}

/**
 * Resolves a written config (partial, from a file, a manifest or CLI flags) against its base and
 * checks every rule. Every problem is reported at once.
 * @throws EdgeError E_CONFIG listing the problems, E_UNKNOWN_CONFIG, E_UNKNOWN_MODALITY
 */
export function resolveConfig(written: WrittenRingMoEConfig | string, file?: string): RingMoEConfig {
  if (typeof written === 'string') return checkConfig(namedConfig(written), file);
  const base = namedConfig(written.base ?? written.name ?? 'ringmoe-tiny');
  const modalities = (written.modalities ?? base.modalities).map((m, i) => {
    if (typeof m === 'string') {
      const spec = BUILTIN_MODALITY_LIST.find((b) => b.id === m);
      if (!spec)
        throw new EdgeError(
          'E_UNKNOWN_MODALITY',
          `unknown modality ${JSON.stringify(m)}; give {id, channels, paperName, description} for a new sensor`,
          { ...(file ? { file } : {}), field: `modalities[${i}]` },
        );
      return spec;
    }
    return m;
  });
  const { base: _b, taskHeads, experts, inputSize, modalities: _m, ...rest } = written;
  void _b;
  void _m;
  const c: RingMoEConfig = {
    ...base,
    ...rest,
    name: written.name ?? base.name,
    modalities,
    experts: { ...base.experts, ...experts },
    inputSize: { ...base.inputSize, ...inputSize },
    taskHeads: { ...base.taskHeads, ...taskHeads },
  };
  return checkConfig(c, file);
}

/** Checks the cross-field rules of a config. */
export function checkConfig(c: RingMoEConfig, file?: string): RingMoEConfig {
  const problems: string[] = [];
  const posInt = (v: unknown, field: string) => {
    if (!Number.isInteger(v) || (v as number) < 1)
      problems.push(`${field} must be a positive integer (got ${JSON.stringify(v)})`);
  };
  posInt(c.patchSize, 'patchSize');
  posInt(c.embedDim, 'embedDim');
  posInt(c.window, 'window');
  posInt(c.cpbHidden, 'cpbHidden');
  posInt(c.inputSize.height, 'inputSize.height');
  posInt(c.inputSize.width, 'inputSize.width');
  if (!(c.mlpRatio > 0)) problems.push(`mlpRatio must be > 0 (got ${c.mlpRatio})`);
  if (!Array.isArray(c.depths) || c.depths.length === 0)
    problems.push('depths must list the blocks of at least one stage');
  else c.depths.forEach((d, i) => posInt(d, `depths[${i}]`));
  if (Array.isArray(c.heads) && c.heads.some((h) => typeof h === 'string'))
    problems.push('heads lists the attention heads of each stage (numbers); the task heads an entry emits go in tasks');
  else if (!Array.isArray(c.heads) || c.heads.length !== c.depths?.length)
    problems.push(`heads must have one entry per stage (${c.depths?.length}), got ${c.heads?.length}`);
  else
    c.heads.forEach((h, i) => {
      posInt(h, `heads[${i}]`);
      const dim = c.embedDim * 2 ** i;
      if (Number.isInteger(h) && dim % h !== 0)
        problems.push(`heads[${i}]=${h} does not divide stage ${i + 1} width ${dim}`);
    });
  posInt(c.experts.modalPerModality, 'experts.modalPerModality');
  posInt(c.experts.collaborative, 'experts.collaborative');
  if (c.experts.shared !== 0 && c.experts.shared !== 1)
    problems.push(`experts.shared must be 0 or 1 (got ${c.experts.shared})`);
  if (c.attention !== 'v1' && c.attention !== 'v2')
    problems.push(`attention must be "v1" or "v2" (got ${JSON.stringify(c.attention)})`);
  if (!Array.isArray(c.tasks))
    problems.push(`tasks must list task heads out of ${TASK_HEADS.join(', ')} (got ${JSON.stringify(c.tasks)})`);
  else
    c.tasks.forEach((t, i) => {
      if (!TASK_HEADS.includes(t))
        problems.push(`tasks[${i}] ${JSON.stringify(t)} is not a task head; known: ${TASK_HEADS.join(', ')}`);
      else if (c.tasks.indexOf(t) !== i) problems.push(`tasks[${i}] ${t} appears twice`);
    });
  const ids = new Set<string>();
  c.modalities.forEach((m, i) => {
    if (!isModalityIdSyntax(m.id))
      problems.push(`modalities[${i}].id ${JSON.stringify(m.id)} must be lowercase letters, digits and dashes`);
    if (ids.has(m.id)) problems.push(`modalities[${i}].id ${m.id} appears twice`);
    ids.add(m.id);
    posInt(m.channels, `modalities[${i}].channels`);
  });
  for (const [i, f] of c.fusion.entries()) {
    if (f.modalities.length < 2) problems.push(`fusion[${i}] must fuse at least two modalities`);
    for (const m of f.modalities)
      if (!ids.has(m)) problems.push(`fusion[${i}] uses modality ${m}, which the config does not have`);
  }
  c.change.forEach((m, i) => {
    if (!ids.has(m)) problems.push(`change[${i}] uses modality ${m}, which the config does not have`);
  });
  if (problems.length === 0) {
    const total = c.patchSize * 2 ** (c.depths.length - 1);
    if (c.inputSize.height % total !== 0 || c.inputSize.width % total !== 0) {
      problems.push(
        `inputSize ${c.inputSize.height}x${c.inputSize.width} must be a multiple of patchSize*2^(stages-1) = ${total}`,
      );
    } else {
      for (const g of stageGeometry(c)) {
        if (g.height % g.window !== 0 || g.width % g.window !== 0) {
          problems.push(
            `stage ${g.stage}: window ${g.window} does not divide its ${g.height}x${g.width} feature map (choose inputSize/window so it does)`,
          );
        }
      }
    }
    if (c.taskHeads.detection.stride !== 8 && c.taskHeads.detection.stride !== 16)
      problems.push('taskHeads.detection.stride must be 8 or 16');
    const boxes = c.taskHeads.detection.boxes;
    if (boxes !== undefined && boxes !== 'axis' && boxes !== 'oriented')
      problems.push(`taskHeads.detection.boxes must be "axis" or "oriented" (got ${JSON.stringify(boxes)})`);
  }
  if (problems.length) {
    throw new EdgeError(
      'E_CONFIG',
      `invalid RingMoE config ${JSON.stringify(c.name)}: ${problems.join('; ')}`,
      file ? { file } : {},
    );
  }
  // One order for the task heads, whatever order they were written in: outputs follow it.
  c.tasks = TASK_HEADS.filter((t) => c.tasks.includes(t));
  return c;
}

/**
 * The config a package manifest records (`model.config`), resolved for re-use (pruning,
 * planning, quantizing). Manifests written before `attention` existed hold SwinV2 graphs, so a
 * missing `attention` means `v2` here (a new written config takes its base's, `v1`); a missing
 * `tasks` means every task head, as those packages have.
 * @throws EdgeError E_CONFIG naming `file` when the record breaks a rule
 */
export function recordedConfig(recorded: Record<string, unknown>, file?: string): RingMoEConfig {
  const c = structuredClone(recorded) as unknown as RingMoEConfig;
  if (c.attention === undefined) c.attention = 'v2';
  if (c.tasks === undefined) c.tasks = [...TASK_HEADS];
  return checkConfig(c, file);
}

/** Layer-norm epsilon of each norm of the trunk, by flavour (v1: the released code's values). */
export interface NormEpsilons {
  /** Patch-embedding norm. */
  embed: number;
  /** Block post-norms norm1/norm2. */
  block: number;
  /** Patch-merging norm. */
  merge: number;
  /** Stage output norms. */
  out: number;
}

export function normEpsilons(c: RingMoEConfig): NormEpsilons {
  return c.attention === 'v1'
    ? { embed: 1e-6, block: 1e-6, merge: 1e-4, out: 1e-6 }
    : { embed: 1e-5, block: 1e-5, merge: 1e-5, out: 1e-5 };
}

/** Modality spec of `id` in config `c`. */
export function modalityOf(c: RingMoEConfig, id: ModalityId): ModalitySpec {
  const m = c.modalities.find((x) => x.id === id);
  if (!m)
    throw new EdgeError(
      'E_UNKNOWN_MODALITY',
      `config ${c.name} has no modality ${JSON.stringify(id)}; it has ${c.modalities.map((x) => x.id).join(', ')}`,
    );
  return m;
}
