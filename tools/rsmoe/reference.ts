/**
 * `ringmoe-edge reference rsmoe-tiny`: writes a complete RS-MoE (vision-language MoE) package with
 * deterministic seeded weights — the vision encoder + Q-Former graph, one visual-prefix projector
 * and one causal-LM decoder per expert, the tokenizer files and the `vlm` manifest section.
 *
 * Seeded weights make the pipeline real and testable (shapes, KV cache, generation, routing,
 * fusion, MQTT) but the text they generate is meaningless; a trained model is a separate step.
 */
import { MODALITY_SPECS } from '../../sdk/internal.js';
import type { EntryManifest, PackageManifest } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { DEFAULT_ROUTER_TEMPLATES } from '../../sdk/internal.js';
import type { VlmExpertRecord, VlmManifest } from '../../sdk/internal.js';
import { GraphBuilder, makeModel } from '../onnx/builder.js';
import { PackageWriter } from '../package/package-writer.js';
import type { RsMoeConfig } from './config.js';
import { rsmoeEntrySpecs } from './entry-specs.js';
import { emitDecoder, emitPrefix } from './emit/decoder.js';
import { RsEmit } from './emit/layers.js';
import { emitVision } from './emit/vision.js';
import { referenceVocabulary, tokenizerConfigJson, tokenizerJson } from './vocabulary.js';

export interface RsMoeReferenceOptions {
  config: RsMoeConfig;
  outDir: string;
  seed?: number;
  force?: boolean;
  /** Called after each graph is written. */
  onGraph?: (done: number, total: number, name: string) => void;
}

/** ImageNet RGB statistics (the EVA/BLIP family's preprocessing uses the same kind of normalisation). */
const MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const STD: [number, number, number] = [0.229, 0.224, 0.225];

const OPSET = 17;

/**
 * Generates the package. Same config + seed → byte-identical files.
 * @throws EdgeError E_OUTPUT_EXISTS, E_IO
 */
export async function writeRsMoeReference(o: RsMoeReferenceOptions): Promise<PackageManifest> {
  const c = o.config;
  const seed = o.seed ?? 0;
  const vocab = referenceVocabulary();
  const V = vocab.length;
  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  try {
    await writer.writeJson('tokenizer/tokenizer.json', tokenizerJson(vocab), 'other');
    await writer.writeJson('tokenizer/tokenizer_config.json', tokenizerConfigJson(), 'other');
    const entries: EntryManifest[] = [];
    const total = 1 + 2 * c.experts.length;
    let done = 0;
    const emitGraph = async (
      name: string,
      graph: string,
      file: string,
      fn: (e: RsEmit) => void,
      spec: Omit<EntryManifest, 'name' | 'graph' | 'weightFiles'>,
    ): Promise<number> => {
      const b = new GraphBuilder(`${c.name}:${name}`);
      const e = new RsEmit(b, writer.weights, seed, file);
      fn(e);
      await writer.writeGraph(
        graph,
        makeModel(b.build(), OPSET, {
          version: VERSION,
          doc: `${c.name} ${name} (seeded reference weights, seed ${seed}: generated text is meaningless)`,
        }),
      );
      entries.push({ name, graph, ...spec, weightFiles: [`weights/${file}.bin`] });
      o.onGraph?.(++done, total, name);
      return e.params;
    };

    const L = c.maxInstructionTokens;
    const specs = rsmoeEntrySpecs(c, V);
    const visionParams = await emitGraph('vision', 'vision.onnx', 'vision', (e) => emitVision(e, c, V), specs.vision!);

    const { dim, layers, heads, maxPositions } = c.decoder;
    const hd = dim / heads;
    const experts: VlmExpertRecord[] = [];
    for (const x of c.experts) {
      const p = `expert.${x.id}`;
      const prefixParams = await emitGraph(
        `${p}.prefix`,
        `${p}.prefix.onnx`,
        p,
        (e) => emitPrefix(e, c, p),
        specs[`${p}.prefix`]!,
      );
      const decoderParams = await emitGraph(
        `${p}.decoder`,
        `${p}.decoder.onnx`,
        p,
        (e) => emitDecoder(e, c, p, V),
        specs[`${p}.decoder`]!,
      );
      experts.push({
        id: x.id,
        role: x.role,
        prompts: DEFAULT_ROUTER_TEMPLATES[x.role],
        prefixEntry: `${p}.prefix`,
        decoderEntry: `${p}.decoder`,
        decoder: { layers, heads, kvHeads: heads, headDim: hd, vocab: V, maxPositions, cacheDtype: 'float32' },
        params: prefixParams + decoderParams,
      });
    }
    const vlm: VlmManifest = {
      architecture: 'rs-moe',
      tokenizer: {
        file: 'tokenizer/tokenizer.json',
        config: 'tokenizer/tokenizer_config.json',
        bos: vocab.indexOf('[BOS]'),
        eos: vocab.indexOf('[EOS]'),
        pad: vocab.indexOf('[PAD]'),
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
      seededWeights: true,
    };
    const expertParams = experts.reduce((s, x) => s + x.params, 0);
    return await writer.finalize({
      name: c.name,
      kind: 'rsmoe',
      model: {
        configName: c.name,
        config: c as unknown as Record<string, unknown>,
        inputSize: { height: c.inputSize, width: c.inputSize },
        seed,
        precision: 'fp32',
        opset: OPSET,
        params: { backbone: visionParams, heads: expertParams, total: visionParams + expertParams },
      },
      modalities: [MODALITY_SPECS.optical],
      entries,
      vlm,
      lineage: [{ step: 'reference', params: { config: c.name, seed, opset: OPSET }, tool: `ringmoe-edge ${VERSION}` }],
    });
  } catch (err) {
    writer.abort();
    throw err;
  }
}
