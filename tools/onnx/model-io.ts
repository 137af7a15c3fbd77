/**
 * Reading and writing ONNX models, with ONNX external data. Weights are streamed one tensor at a
 * time from wherever they live to the files the caller chooses, so a model of any size is copied
 * or rewritten with memory bounded by its largest tensor.
 */
import { mkdir, open, rename, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { readRegular } from '../../sdk/internal.js';
import {
  DataLocation,
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  create,
  fromBinary,
  toBinary,
  type GraphProto,
  type ModelProto,
  type TensorProto,
} from './proto.js';
import { ExternalDataReader, externalInfo, tensorByteLength } from './tensor-data.js';
import { forEachGraph } from './walk.js';

/** A decoded model and where its external data is resolved from. */
export interface OnnxModel {
  proto: ModelProto;
  /** File it was read from, if any (used in error messages). */
  file?: string;
  /** Directory external-data locations are relative to. */
  baseDir: string;
}

/** Largest model file read (protobuf's own limit is 2 GiB; weights beyond it live in external data). */
export const MAX_MODEL_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/**
 * Reads an ONNX model file. External data is NOT read (tensors are read lazily later). The file
 * must be a regular file, not a link, like every external-data file read later.
 * @param root directory the model lies in when it is part of a package: no directory between it
 *   and the file may be a link
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE (a link, a device), E_FILE_TOO_LARGE,
 *   E_ONNX_PARSE (empty, truncated or not ONNX)
 */
export async function readModel(file: string, root?: string): Promise<OnnxModel> {
  const bytes = await readRegular(file, {
    maxBytes: MAX_MODEL_FILE_BYTES,
    label: 'ONNX model',
    ...(root !== undefined ? { root } : {}),
  });
  return { proto: decodeModel(bytes, file), file, baseDir: dirname(resolve(file)) };
}

/**
 * Decodes model bytes and checks they are an ONNX model at all.
 * @throws EdgeError E_ONNX_PARSE
 */
export function decodeModel(bytes: Uint8Array, file?: string): ModelProto {
  const where = file !== undefined ? { file } : {};
  if (bytes.length === 0) throw new EdgeError('E_ONNX_PARSE', 'file is empty, not an ONNX model', where);
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes);
  } catch (err) {
    throw new EdgeError(
      'E_ONNX_PARSE',
      `not a readable ONNX model (protobuf decoding failed: ${messageOf(err)}; truncated or another format?)`,
      { ...where, cause: err },
    );
  }
  if (!proto.graph)
    throw new EdgeError('E_ONNX_PARSE', 'not an ONNX model: it has no graph (truncated or another format?)', where);
  if (proto.irVersion <= 0n || proto.irVersion > 100n)
    throw new EdgeError('E_ONNX_PARSE', `not an ONNX model: ir_version ${proto.irVersion} is out of range`, where);
  if (proto.opsetImport.length === 0)
    throw new EdgeError('E_ONNX_PARSE', 'ONNX model has no opset_import (truncated?)', where);
  const bad = proto.graph.node.find((n) => !n.opType);
  if (bad)
    throw new EdgeError(
      'E_ONNX_PARSE',
      `node ${JSON.stringify(bad.name)} has no op_type (corrupt or truncated file)`,
      where,
    );
  return proto;
}

/** Where the writer puts a tensor's bytes. */
export type Placement = { kind: 'inline' } | { kind: 'external'; location: string };

export interface WriteModelOptions {
  /**
   * Chooses where each tensor (initializers and attribute tensors such as Constant values, in
   * subgraphs too) goes. Default: initializers of at least `threshold` bytes go to
   * `<model name>.data`; smaller ones and attribute tensors stay inline (runtimes need Constant
   * values inline for shape inference; lift them to initializers first to externalise them).
   */
  placement?: (tensor: TensorProto, info: TensorPlacementInfo) => Placement;
  /** Size at or above which the default placement externalises a tensor. Default 1024. */
  threshold?: number;
  /** Alignment of each tensor inside an external file. Default 64 bytes. */
  align?: number;
  /** Called after each tensor is written (bytes written so far, total bytes to write). */
  onProgress?: (done: number, total: number) => void;
}

export interface TensorPlacementInfo {
  bytes: number;
  graphPath: string;
  /** True for graph initializers, false for tensors held by node attributes. */
  initializer: boolean;
}

export interface WriteModelResult {
  /** Bytes of the .onnx file. */
  modelBytes: number;
  /** External files written (relative location → size in bytes). */
  externalFiles: Record<string, number>;
  tensorsExternal: number;
  tensorsInline: number;
}

const DATA_FIELDS = [
  'rawData',
  'floatData',
  'int32Data',
  'int64Data',
  'doubleData',
  'uint64Data',
  'stringData',
  'dataLocation',
  'externalData',
] as const;
type DataField = (typeof DATA_FIELDS)[number];

/** A tensor's data fields as they were, own-property presence included (proto2 presence matters on encode). */
interface Saved {
  tensor: TensorProto;
  fields: Partial<Record<DataField, unknown>>;
}

function save(t: TensorProto): Saved {
  const fields: Partial<Record<DataField, unknown>> = {};
  for (const f of DATA_FIELDS) if (Object.prototype.hasOwnProperty.call(t, f)) fields[f] = t[f];
  return { tensor: t, fields };
}

function restore(s: Saved): void {
  const t = s.tensor as unknown as Record<string, unknown>;
  for (const f of DATA_FIELDS) {
    if (f in s.fields) t[f] = s.fields[f];
    else delete t[f];
  }
}

const REPEATED: ReadonlySet<DataField> = new Set([
  'floatData',
  'int32Data',
  'int64Data',
  'doubleData',
  'uint64Data',
  'stringData',
  'externalData',
]);

/** Replaces a tensor's data fields: repeated ones emptied, optional ones unset, then `values` set. */
function setData(t: TensorProto, values: Partial<Record<DataField, unknown>>): void {
  const r = t as unknown as Record<string, unknown>;
  for (const f of DATA_FIELDS) {
    if (REPEATED.has(f)) r[f] = [];
    else delete r[f];
  }
  for (const [k, v] of Object.entries(values)) r[k] = v;
}

/** Every tensor that carries data: initializers and Constant/attribute tensors, in all subgraphs. */
export function collectDataTensors(
  graph: GraphProto,
): { tensor: TensorProto; graphPath: string; initializer: boolean }[] {
  const out: { tensor: TensorProto; graphPath: string; initializer: boolean }[] = [];
  forEachGraph(graph, (g, path) => {
    for (const t of g.initializer) out.push({ tensor: t, graphPath: path, initializer: true });
    for (const n of g.node) {
      for (const a of n.attribute) {
        if (a.t) out.push({ tensor: a.t, graphPath: path, initializer: false });
        for (const t of a.tensors) out.push({ tensor: t, graphPath: path, initializer: false });
      }
    }
  });
  return out;
}

/**
 * Writes `model` to `file`, streaming every tensor's bytes from its source (inline or the source
 * model's external files) to its placement. The source model is left unchanged. The .onnx file is
 * written to a temporary name and renamed, so a crash never leaves a half-written model under `file`.
 * @throws EdgeError E_EXTERNAL_DATA when a source tensor cannot be read, E_IO on write errors
 */
export async function writeModel(
  model: OnnxModel,
  file: string,
  options: WriteModelOptions = {},
): Promise<WriteModelResult> {
  const outDir = dirname(resolve(file));
  await mkdir(outDir, { recursive: true });
  const threshold = options.threshold ?? 1024;
  const align = options.align ?? 64;
  const defaultLocation = `${basename(file).replace(/\.onnx$/i, '')}.data`;
  const placement =
    options.placement ??
    ((_t: TensorProto, info: TensorPlacementInfo): Placement =>
      info.initializer && info.bytes >= threshold
        ? { kind: 'external', location: defaultLocation }
        : { kind: 'inline' });

  const graph = model.proto.graph;
  if (!graph)
    throw new EdgeError('E_ONNX_INVALID', 'model has no graph', model.file !== undefined ? { file: model.file } : {});
  const tensors = collectDataTensors(graph);
  const plans = tensors.map(({ tensor, graphPath, initializer }) => ({
    tensor,
    place: placement(tensor, { bytes: tensorByteLength(tensor), graphPath, initializer }),
  }));
  const total = plans.reduce(
    (s, p) => s + (p.place.kind === 'external' || externalInfo(p.tensor) ? tensorByteLength(p.tensor) : 0),
    0,
  );

  const reader = new ExternalDataReader(model.baseDir, model.file);
  const files = new Map<string, { fh: FileHandle; size: number }>();
  const saved: Saved[] = [];
  const result: WriteModelResult = { modelBytes: 0, externalFiles: {}, tensorsExternal: 0, tensorsInline: 0 };
  let done = 0;
  try {
    for (const { tensor, place } of plans) {
      if (place.kind === 'inline') {
        if (externalInfo(tensor)) {
          // Pull external bytes back inside the model.
          const bytes = await reader.read(tensor);
          saved.push(save(tensor));
          setData(tensor, { rawData: bytes });
          done += bytes.length;
          options.onProgress?.(done, total);
        }
        result.tensorsInline++;
        continue;
      }
      const bytes = await reader.read(tensor);
      let f = files.get(place.location);
      if (!f) {
        const path = join(outDir, place.location);
        await mkdir(dirname(path), { recursive: true });
        f = { fh: await open(path, 'w'), size: 0 };
        files.set(place.location, f);
      }
      const offset = Math.ceil(f.size / align) * align;
      if (offset > f.size) await f.fh.write(new Uint8Array(offset - f.size), 0, offset - f.size, f.size);
      await f.fh.write(bytes, 0, bytes.length, offset);
      f.size = offset + bytes.length;
      saved.push(save(tensor));
      setData(tensor, {
        dataLocation: DataLocation.EXTERNAL,
        externalData: [
          create(StringStringEntryProtoSchema, { key: 'location', value: place.location }),
          create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
          create(StringStringEntryProtoSchema, { key: 'length', value: String(bytes.length) }),
        ],
      });
      result.tensorsExternal++;
      done += bytes.length;
      options.onProgress?.(done, total);
    }
    for (const [location, f] of files) {
      await f.fh.sync();
      result.externalFiles[location] = f.size;
    }
    const encoded = toBinary(ModelProtoSchema, model.proto);
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, encoded);
    await rename(tmp, file);
    result.modelBytes = (await stat(file)).size;
    return result;
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    throw new EdgeError('E_IO', `writing the model failed: ${messageOf(err)}`, { file, cause: err });
  } finally {
    for (const s of saved.reverse()) restore(s);
    await Promise.all([...files.values()].map((f) => f.fh.close()));
    await reader.close();
  }
}
