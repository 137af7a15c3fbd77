/**
 * Assembles an RS-MoE package from trained weights: the output folder of the `rsmoe` training
 * recipe (training/ringmoe_torch/recipes/rsmoe.py) becomes a package with exactly the graphs of
 * `reference rsmoe-tiny` (the same emitters, so pruning, quantization, planning and the runtime
 * treat it like any RS-MoE package), but every parameter is the trained tensor of that name.
 *
 * The run folder holds `rsmoe.safetensors` (tensor names and layouts of tools/rsmoe/emit),
 * `config.json` (an {@link RsMoeConfig}), `tokenizer.json` / `tokenizer_config.json` (the trained
 * vocabulary) and optionally `metrics.json` (recorded in the lineage).
 *
 * Plan/apply: {@link planTrainedRsMoe} reads and checks the run folder (config fields, tokenizer,
 * every tensor's presence and shape) without writing anything; {@link writeTrainedRsMoe} writes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { MODALITY_SPECS } from '../../sdk/internal.js';
import type { EntryManifest, PackageManifest } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { DEFAULT_ROUTER_TEMPLATES } from '../../sdk/internal.js';
import { VLM_EXPERT_ROLES, type VlmExpertRecord, type VlmExpertRole, type VlmManifest } from '../../sdk/internal.js';
import { openCheckpoint } from '../convert/open.js';
import type { CheckpointReader } from '../convert/checkpoint.js';
import { externalTensor, GraphBuilder, makeModel } from '../onnx/builder.js';
import { PackageWriter } from '../package/package-writer.js';
import type { WeightStore } from '../package/weight-store.js';
import type { RsMoeConfig } from './config.js';
import { rsmoeEntrySpecs } from './entry-specs.js';
import { emitDecoder, emitPrefix } from './emit/decoder.js';
import { RsEmit, type RsInit } from './emit/layers.js';
import { emitVision } from './emit/vision.js';

/** Files of a training run folder. */
export const RUN_FILES = {
  weights: 'rsmoe.safetensors',
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  metrics: 'metrics.json',
} as const;

/** ImageNet RGB statistics: the SDK's optical preprocessing, which the recipe trains with. */
const MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const STD: [number, number, number] = [0.229, 0.224, 0.225];
const OPSET = 17;

export interface TrainedRsMoePlan {
  runDir: string;
  config: RsMoeConfig;
  /** tokenizer.json and tokenizer_config.json as parsed JSON. */
  tokenizer: {
    json: Record<string, unknown>;
    config: Record<string, unknown>;
    vocab: number;
    bos: number;
    eos: number;
    pad: number;
  };
  /** Tensors in the checkpoint and their total elements. */
  tensors: number;
  params: number;
  /** metrics.json of the run, when present. */
  metrics?: Record<string, unknown>;
}

/** An emitter whose parameters are the checkpoint's tensors (the init spec is ignored). */
class TrainedEmit extends RsEmit {
  constructor(
    b: GraphBuilder,
    weights: WeightStore,
    file: string,
    private readonly ckpt: CheckpointReader,
    private readonly used: Set<string>,
  ) {
    super(b, weights, 0, file);
  }

  override param(name: string, dims: number[], _init: RsInit): string {
    const t = this.ckpt.tensors.get(name);
    if (!t)
      throw new EdgeError('E_CHECKPOINT_MISMATCH', `the checkpoint has no tensor ${name} (the graph needs [${dims}])`, {
        file: this.ckpt.file,
        field: name,
      });
    if (t.dims.join() !== dims.join())
      throw new EdgeError('E_CHECKPOINT_MISMATCH', `tensor ${name} is [${t.dims}] but the graph needs [${dims}]`, {
        file: this.ckpt.file,
        field: name,
      });
    if (!this.weights.get(name)) this.params += dims.reduce((a, c) => a * c, 1);
    this.used.add(name);
    this.weights.tensor(name, `weights/${this.file}.bin`, 'float32', dims, () => this.ckpt.read(name));
    return this.b.initializer(this.weights.initializer(name));
  }
}

async function readJson(dir: string, rel: string, optional = false): Promise<Record<string, unknown> | undefined> {
  const file = join(dir, rel);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (optional) return undefined;
    throw new EdgeError('E_FILE_NOT_FOUND', `the training run has no ${rel}: ${messageOf(err)}`, {
      file,
      hint: 'write one with: npm run train -- rsmoe',
    });
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new EdgeError('E_CONFIG', `${rel} is not a JSON object: ${messageOf(err)}`, { file, cause: err });
  }
}

/**
 * The run's config, checked field by field.
 * @throws EdgeError E_CONFIG naming the field
 */
export function checkTrainedConfig(v: Record<string, unknown>, file: string): RsMoeConfig {
  const bad = (field: string, want: string): never => {
    throw new EdgeError('E_CONFIG', `config.json: ${field} must be ${want}`, { file, field });
  };
  const posInt = (x: unknown, field: string): number =>
    Number.isSafeInteger(x) && (x as number) > 0 ? (x as number) : bad(field, 'a positive integer');
  const obj = (x: unknown, field: string): Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : bad(field, 'an object');
  if (typeof v.name !== 'string' || !/^[a-z0-9][a-z0-9.-]{0,63}$/.test(v.name)) bad('name', 'a lowercase package name');
  const vis = obj(v.vision, 'vision');
  const qf = obj(v.qformer, 'qformer');
  const dec = obj(v.decoder, 'decoder');
  const c: RsMoeConfig = {
    name: v.name as string,
    inputSize: posInt(v.inputSize, 'inputSize'),
    vision: {
      patch: posInt(vis.patch, 'vision.patch'),
      dim: posInt(vis.dim, 'vision.dim'),
      layers: posInt(vis.layers, 'vision.layers'),
      heads: posInt(vis.heads, 'vision.heads'),
      hidden: posInt(vis.hidden, 'vision.hidden'),
    },
    qformer: {
      queries: posInt(qf.queries, 'qformer.queries'),
      heads: posInt(qf.heads, 'qformer.heads'),
      hidden: posInt(qf.hidden, 'qformer.hidden'),
    },
    decoder: {
      dim: posInt(dec.dim, 'decoder.dim'),
      layers: posInt(dec.layers, 'decoder.layers'),
      heads: posInt(dec.heads, 'decoder.heads'),
      hidden: posInt(dec.hidden, 'decoder.hidden'),
      maxPositions: posInt(dec.maxPositions, 'decoder.maxPositions'),
    },
    maxInstructionTokens: posInt(v.maxInstructionTokens, 'maxInstructionTokens'),
    experts: [],
  };
  if (c.inputSize % c.vision.patch !== 0) bad('vision.patch', `a divisor of inputSize ${c.inputSize}`);
  if (c.vision.dim % c.vision.heads !== 0 || c.vision.dim % c.qformer.heads !== 0)
    bad('vision.heads', 'a divisor of vision.dim');
  if (c.decoder.dim % c.decoder.heads !== 0) bad('decoder.heads', 'a divisor of decoder.dim');
  if (!Array.isArray(v.experts) || v.experts.length === 0) bad('experts', 'a non-empty array');
  const ids = new Set<string>();
  (v.experts as unknown[]).forEach((e, i) => {
    const x = obj(e, `experts[${i}]`);
    if (typeof x.id !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(x.id) || ids.has(x.id))
      bad(`experts[${i}].id`, 'a unique short lowercase id');
    if (!VLM_EXPERT_ROLES.includes(x.role as VlmExpertRole))
      bad(`experts[${i}].role`, `one of ${VLM_EXPERT_ROLES.join(', ')}`);
    ids.add(x.id as string);
    c.experts.push({ id: x.id as string, role: x.role as VlmExpertRole });
  });
  return c;
}

/**
 * Reads and checks a training run folder; writes nothing.
 * @throws EdgeError E_FILE_NOT_FOUND, E_CONFIG, E_CHECKPOINT_* (unreadable weights, a tensor
 *   missing, mis-shaped or not used by the graphs)
 */
export async function planTrainedRsMoe(runDir: string): Promise<TrainedRsMoePlan> {
  const configFile = join(runDir, RUN_FILES.config);
  const config = checkTrainedConfig((await readJson(runDir, RUN_FILES.config))!, configFile);
  const json = (await readJson(runDir, RUN_FILES.tokenizer))!;
  const tconfig = (await readJson(runDir, RUN_FILES.tokenizerConfig))!;
  const model = json.model as { vocab?: unknown } | undefined;
  const vocab =
    model && typeof model.vocab === 'object' && model.vocab !== null
      ? (model.vocab as Record<string, unknown>)
      : undefined;
  if (!vocab)
    throw new EdgeError('E_CONFIG', 'tokenizer.json has no model.vocab', {
      file: join(runDir, RUN_FILES.tokenizer),
      field: 'model.vocab',
    });
  const special = (tok: string): number => {
    const id = vocab[tok];
    if (!Number.isSafeInteger(id))
      throw new EdgeError('E_CONFIG', `tokenizer.json has no ${tok} token`, {
        file: join(runDir, RUN_FILES.tokenizer),
        field: `model.vocab.${tok}`,
      });
    return id as number;
  };
  const tokenizer = {
    json,
    config: tconfig,
    vocab: Object.keys(vocab).length,
    bos: special('[BOS]'),
    eos: special('[EOS]'),
    pad: special('[PAD]'),
  };
  const ckpt = openCheckpoint(join(runDir, RUN_FILES.weights), 'safetensors');
  try {
    // Emit every graph into throwaway builders against a scratch store to check names and shapes.
    const { used, params } = emitAll(config, tokenizer.vocab, ckpt, new DryStore());
    const unused = [...ckpt.tensors.keys()].filter((n) => !used.has(n));
    if (unused.length)
      throw new EdgeError(
        'E_CHECKPOINT_MISMATCH',
        `tensors the graphs do not use: ${unused.slice(0, 4).join(', ')}${unused.length > 4 ? ', …' : ''}`,
        { file: ckpt.file, field: unused[0]! },
      );
    const metrics = await readJson(runDir, RUN_FILES.metrics, true);
    return { runDir, config, tokenizer, tensors: ckpt.tensors.size, params, ...(metrics ? { metrics } : {}) };
  } finally {
    ckpt.close();
  }
}

/** A weight store that keeps nothing (for the plan's dry emission). */
class DryStore {
  private readonly names = new Map<
    string,
    { name: string; dtype: 'float32'; dims: number[]; location: string; offset: number; length: number }
  >();
  get(name: string) {
    return this.names.get(name);
  }
  tensor(name: string, location: string, _dtype: 'float32', dims: number[]) {
    const t = { name, dtype: 'float32' as const, dims, location, offset: 0, length: dims.reduce((a, c) => a * c, 4) };
    if (!this.names.has(name)) this.names.set(name, t);
    return this.names.get(name)!;
  }
  initializer(name: string) {
    const t = this.names.get(name)!;
    return externalTensor(name, 'float32', t.dims, t);
  }
}

interface Emitted {
  name: string;
  graph: string;
  file: string;
  builder: GraphBuilder;
  params: number;
}

function emitAll(
  c: RsMoeConfig,
  vocab: number,
  ckpt: CheckpointReader,
  store: WeightStore | DryStore,
): { graphs: Emitted[]; used: Set<string>; params: number } {
  const used = new Set<string>();
  const graphs: Emitted[] = [];
  const one = (name: string, graph: string, file: string, fn: (e: RsEmit) => void) => {
    const b = new GraphBuilder(`${c.name}:${name}`);
    const e = new TrainedEmit(b, store as WeightStore, file, ckpt, used);
    fn(e);
    graphs.push({ name, graph, file, builder: b, params: e.params });
  };
  one('vision', 'vision.onnx', 'vision', (e) => emitVision(e, c, vocab));
  for (const x of c.experts) {
    const p = `expert.${x.id}`;
    one(`${p}.prefix`, `${p}.prefix.onnx`, p, (e) => emitPrefix(e, c, p));
    one(`${p}.decoder`, `${p}.decoder.onnx`, p, (e) => emitDecoder(e, c, p, vocab));
  }
  return { graphs, used, params: graphs.reduce((s, g) => s + g.params, 0) };
}

export interface WriteTrainedOptions {
  outDir: string;
  force?: boolean;
  onGraph?: (done: number, total: number, name: string) => void;
}

/**
 * Writes the package a plan describes. Same run folder → byte-identical package.
 * @throws EdgeError E_OUTPUT_EXISTS, E_IO, E_CHECKPOINT_*
 */
export async function writeTrainedRsMoe(plan: TrainedRsMoePlan, o: WriteTrainedOptions): Promise<PackageManifest> {
  const c = plan.config;
  const V = plan.tokenizer.vocab;
  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  const ckpt = openCheckpoint(join(plan.runDir, RUN_FILES.weights), 'safetensors');
  try {
    await writer.writeJson('tokenizer/tokenizer.json', plan.tokenizer.json, 'other');
    await writer.writeJson('tokenizer/tokenizer_config.json', plan.tokenizer.config, 'other');
    const { graphs } = emitAll(c, V, ckpt, writer.weights);
    const { dim, layers, heads, maxPositions } = c.decoder;
    const hd = dim / heads;
    const L = c.maxInstructionTokens;
    const specs = rsmoeEntrySpecs(c, V);
    const entries: EntryManifest[] = [];
    let done = 0;
    for (const g of graphs) {
      await writer.writeGraph(
        g.graph,
        makeModel(g.builder.build(), OPSET, {
          version: VERSION,
          doc: `${c.name} ${g.name} (trained weights; see the package's MODEL_CARD)`,
        }),
      );
      entries.push({ name: g.name, graph: g.graph, ...specs[g.name]!, weightFiles: [`weights/${g.file}.bin`] });
      o.onGraph?.(++done, graphs.length, g.name);
    }
    const paramsOf = (name: string) => graphs.find((g) => g.name === name)!.params;
    const experts: VlmExpertRecord[] = c.experts.map((x) => ({
      id: x.id,
      role: x.role,
      prompts: DEFAULT_ROUTER_TEMPLATES[x.role],
      prefixEntry: `expert.${x.id}.prefix`,
      decoderEntry: `expert.${x.id}.decoder`,
      decoder: { layers, heads, kvHeads: heads, headDim: hd, vocab: V, maxPositions, cacheDtype: 'float32' },
      params: paramsOf(`expert.${x.id}.prefix`) + paramsOf(`expert.${x.id}.decoder`),
    }));
    const t = plan.tokenizer;
    const vlm: VlmManifest = {
      architecture: 'rs-moe',
      tokenizer: {
        file: 'tokenizer/tokenizer.json',
        config: 'tokenizer/tokenizer_config.json',
        bos: t.bos,
        eos: t.eos,
        pad: t.pad,
      },
      vision: {
        entry: 'vision',
        inputSize: c.inputSize,
        queries: c.qformer.queries,
        dim: c.vision.dim,
        maxInstructionTokens: L,
        mean: MEAN,
        std: STD,
      },
      experts,
      fusion: { caption: 'ordered-dedup', vqa: 'majority-vote' },
      seededWeights: false,
    };
    const visionParams = paramsOf('vision');
    const expertParams = experts.reduce((s, x) => s + x.params, 0);
    const m = plan.metrics ?? {};
    const trainParams = Object.fromEntries(
      ['steps', 'batch', 'params', 'vocab', 'train_scenes', 'heldout_scenes', 'final_loss', 'smoke']
        .filter((k) => k in m)
        .map((k) => [k, m[k]]),
    );
    return await writer.finalize({
      name: c.name,
      kind: 'rsmoe',
      model: {
        configName: c.name,
        config: c as unknown as Record<string, unknown>,
        inputSize: { height: c.inputSize, width: c.inputSize },
        precision: 'fp32',
        opset: OPSET,
        params: { backbone: visionParams, heads: expertParams, total: visionParams + expertParams },
      },
      modalities: [MODALITY_SPECS.optical],
      entries,
      vlm,
      lineage: [{ step: 'train', params: { recipe: 'rsmoe', ...trainParams }, tool: `ringmoe-edge ${VERSION}` }],
    });
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    ckpt.close();
  }
}
