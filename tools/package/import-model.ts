/**
 * `ringmoe-edge import`: wraps any single ONNX model (a vendor's own detector, say) as a one-entry
 * package, so bundling, running and OTA serve models that are not RingMoE too. Large Constant
 * nodes become initializers and all weights of 1 KiB or more move to weights/<entry>.bin; the
 * computation is unchanged. A detector's outputs can be declared (`detection`, detection-layout.ts)
 * so the runtime turns them into detection results.
 */
import { basename } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { InputSpec, OutputSpec, PackageManifest } from '../../sdk/internal.js';
import { resolveModality, type ModalitySpec, type TaskId } from '../../sdk/internal.js';
import { sha256File } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { liftConstantsToInitializers, validateGraph } from '../onnx/graph.js';
import { readModel, writeModel } from '../onnx/model-io.js';
import { DataType, elementCount } from '../onnx/proto.js';
import { tensorTypeOf } from '../onnx/value-info.js';
import { applyDetectionLayout, type DetectionLayout } from './detection-layout.js';
import { PackageWriter } from './package-writer.js';

export interface ImportOptions {
  model: string;
  outDir: string;
  /** Entry name (default: the model file's base name, sanitised). */
  entry?: string;
  /** Sensor modality the model reads (for the runtime's preprocessing), optional. */
  modality?: string;
  force?: boolean;
  /** The model is a detector: which outputs hold boxes, scores and classes, and the box layout. */
  detection?: DetectionLayout;
  /** Class names of the detector's class ids (manifest `labels.detection`). */
  labels?: string[];
  onProgress?: (done: number, total: number) => void;
}

function sanitise(name: string): string {
  const s = name
    .replace(/\.onnx$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'model';
}

/**
 * Imports `model` as a package in `outDir`.
 * @throws EdgeError E_FILE_NOT_FOUND, E_ONNX_PARSE, E_ONNX_INVALID, E_UNKNOWN_MODALITY, E_OUTPUT_EXISTS
 */
export async function importModel(o: ImportOptions): Promise<PackageManifest> {
  const model = await readModel(o.model);
  const graph = model.proto.graph!;
  validateGraph(graph, { file: o.model });
  const modality: ModalitySpec | undefined =
    o.modality !== undefined ? resolveModality(o.modality, [], { field: '--modality' }) : undefined;
  const entry = o.entry ?? sanitise(basename(o.model));
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(entry))
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `entry name ${JSON.stringify(entry)} must be lowercase letters, digits and dashes`,
      { field: '--entry' },
    );
  const initNames = new Set(graph.initializer.map((t) => t.name));
  const realInputs = graph.input.filter((v) => !initNames.has(v.name));
  const inputs: InputSpec[] = realInputs.map((v) => {
    const t = tensorTypeOf(v);
    if (!t.dtype)
      throw new EdgeError(
        'E_ONNX_INVALID',
        `input ${v.name} has element type ${t.elemTypeName}, which packages do not support`,
        { file: o.model },
      );
    // A rank-4 input is an image batch [N, C, H, W]; anything else (audio, tabular, state) is a raw tensor.
    return {
      name: v.name,
      dtype: t.dtype,
      shape: t.shape,
      role: t.shape.length === 4 ? 'image' : 'tensor',
      ...(modality ? { modality: modality.id } : {}),
    };
  });
  for (const v of graph.output) {
    const t = tensorTypeOf(v);
    if (!t.dtype)
      throw new EdgeError(
        'E_ONNX_INVALID',
        `output ${v.name} has element type ${t.elemTypeName}, which packages do not support`,
        { file: o.model },
      );
  }
  if (o.labels !== undefined && o.detection === undefined)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      '--labels names detection classes and needs --det-boxes, --det-scores and --det-classes',
      { field: '--labels' },
    );
  if (o.labels?.some((l) => typeof l !== 'string' || l.trim() === ''))
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--labels: every class name must be a non-empty string (got ${JSON.stringify(o.labels)})`,
      { field: '--labels' },
    );
  const detection = o.detection ? applyDetectionLayout(graph, o.detection, o.model) : [];
  const outputs: OutputSpec[] = graph.output.map((v) => {
    const declared = detection.find((d) => d.name === v.name);
    if (declared) return declared;
    const t = tensorTypeOf(v);
    return { name: v.name, dtype: t.dtype!, shape: t.shape, task: 'custom' as TaskId, kind: 'raw' };
  });
  const tasks: TaskId[] = [
    ...(detection.length ? (['detection'] as TaskId[]) : []),
    ...(outputs.some((x) => x.kind === 'raw') ? (['custom'] as TaskId[]) : []),
  ];
  liftConstantsToInitializers(graph, 1024);
  const params = graph.initializer.reduce(
    (s, t) => s + (t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16 ? elementCount(t.dims) : 0),
    0,
  );
  const hasHalf = graph.initializer.some((t) => t.dataType === DataType.FLOAT16);
  const hasInt8 = graph.initializer.some((t) => t.dataType === DataType.INT8 || t.dataType === DataType.UINT8);
  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  try {
    const weightFile = `weights/${entry}.bin`;
    const written = await writeModel(model, `${o.outDir}/${entry}.onnx`, {
      placement: (_t, info) =>
        info.initializer && info.bytes >= 1024 ? { kind: 'external', location: weightFile } : { kind: 'inline' },
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const opset = Number(model.proto.opsetImport.find((x) => x.domain === '' || x.domain === 'ai.onnx')?.version ?? 0);
    const sourceSha = await sha256File(o.model);
    return await writer.finalize({
      name: entry,
      kind: 'imported',
      model: {
        precision: hasInt8 ? 'int8' : hasHalf ? 'fp16' : 'fp32',
        opset,
        params: { backbone: params, heads: 0, total: params },
      },
      modalities: modality ? [modality] : [],
      entries: [
        {
          name: entry,
          kind: 'imported',
          graph: `${entry}.onnx`,
          modalities: modality ? [modality.id] : [],
          tasks,
          inputs,
          outputs,
          weightFiles: Object.keys(written.externalFiles),
        },
      ],
      ...(o.labels ? { labels: { detection: o.labels } } : {}),
      lineage: [
        {
          step: 'import',
          params: {
            source: basename(o.model),
            sourceSha256: sourceSha,
            producer: `${model.proto.producerName} ${model.proto.producerVersion}`.trim(),
          },
          tool: `ringmoe-edge ${VERSION}`,
        },
      ],
    });
  } catch (err) {
    writer.abort();
    throw err;
  }
}
