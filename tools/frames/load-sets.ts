/**
 * Turning what a user names on the command line into prepared frames. A frame source is
 * `[<modality>=]<file or directory>` (real imagery: JPEG, PNG, WebP, TIFF/GeoTIFF, decoded and
 * preprocessed per modality by the SDK's sensors module, cut into model-sized tiles) or
 * `generated:<modality>[:<count>[:<seed>]]` (GENERATED scenes, not measurements: optical and
 * multispectral object scenes with fields, a road, buildings and vehicles; SAR-L1 complex quad-pol
 * scenes with speckle and ships; SAR-L2 the detected HH amplitude of such a scene).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { EdgeError, isEdgeError, messageOf } from '../../sdk/core/errors.js';
import { isModalityIdSyntax, type ModalityId } from '../../sdk/core/modalities.js';
import type { Frame } from '../../sdk/sensors/frame.js';
import { preprocessFrame } from '../../sdk/sensors/preprocess/preprocess.js';
import type { SensorConfig } from '../../sdk/sensors/bands/sensor-config.js';
import { generateObjectScene } from '../../sdk/sensors/synthetic/object-scene.js';
import { generateQuadPolScene } from '../../sdk/sensors/synthetic/sar-quadpol.js';
import type { FrameSet, PreparedFrame } from '../quantize/frames.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

export interface FrameSourceOptions {
  /** Model input size. */
  inputSize: { height: number; width: number };
  /** Modalities the package reads (a source without `<modality>=` is allowed when there is one). */
  modalities: readonly ModalityId[];
  /** Most frames (tiles) taken from one source, spread evenly over it. Default 32. */
  maxFrames?: number;
  /** Which option named the source, for messages (`--calibration`, `--held-out`). */
  field: string;
  /** The sensor of real frames per modality (the CLI's --sensor/--bands/--scale flags). */
  sensorFor?: (modality: ModalityId) => string | SensorConfig | undefined;
}

/** A parsed source spec. */
export type FrameSourceSpec = { kind: 'path'; modality: ModalityId; path: string; text: string } | { kind: 'generated'; modality: ModalityId; count: number; seed: number; text: string };

/**
 * Parses one source spec.
 * @throws EdgeError E_CALIBRATION for a malformed spec or a modality that cannot be inferred
 */
export function parseFrameSource(text: string, o: Pick<FrameSourceOptions, 'modalities' | 'field'>): FrameSourceSpec {
  const gen = /^generated:([a-z0-9-]+)(?::(\d+))?(?::(\d+))?$/.exec(text);
  if (gen) {
    const count = Number(gen[2] ?? 16);
    if (count < 1 || count > 4096) throw new EdgeError('E_CALIBRATION', `generated frame count must be 1..4096 (got ${count})`, { field: o.field });
    return { kind: 'generated', modality: gen[1]!, count, seed: Number(gen[3] ?? 1), text };
  }
  if (text.startsWith('generated')) throw new EdgeError('E_CALIBRATION', `cannot read frame source ${JSON.stringify(text)}; write generated:<modality>[:<count>[:<seed>]]`, { field: o.field });
  const eq = text.indexOf('=');
  const prefix = eq > 0 ? text.slice(0, eq) : undefined;
  if (prefix !== undefined && isModalityIdSyntax(prefix)) return { kind: 'path', modality: prefix, path: text.slice(eq + 1), text };
  if (o.modalities.length !== 1) {
    throw new EdgeError('E_CALIBRATION', `frame source ${JSON.stringify(text)} does not say its modality and the package reads ${o.modalities.join(', ')}`, { field: o.field, hint: `write <modality>=${text}` });
  }
  return { kind: 'path', modality: o.modalities[0]!, path: text, text };
}

async function imageFiles(path: string, field: string): Promise<string[]> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new EdgeError('E_FILE_NOT_FOUND', `frame source ${path} does not exist`, { file: path, field });
  if (st.isFile()) return [path];
  const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  if (names.length === 0) throw new EdgeError('E_CALIBRATION', `directory ${path} holds no image files (${[...IMAGE_EXTENSIONS].join(' ')})`, { file: path, field });
  return names.map((n) => join(path, n));
}

function evenly<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]!);
}

async function prepare(frame: Frame, o: FrameSourceOptions, origin: 'real' | 'generated', fit: 'tile' | 'resize'): Promise<PreparedFrame[]> {
  let pre;
  try {
    pre = await preprocessFrame(frame, { inputSize: o.inputSize, fit });
  } catch (err) {
    if (isEdgeError(err) && (err.code === 'E_FRAME_INVALID' || err.code === 'E_FRAME_DECODE')) {
      throw new EdgeError('E_CALIBRATION', `frame ${frame.id} cannot serve as ${frame.modality} input: ${err.message}`, { field: o.field, cause: err });
    }
    throw err;
  }
  const out: PreparedFrame[] = [];
  let tile = 0;
  for (const b of pre.batches) {
    const [n, c, h, w] = b.shape as [number, number, number, number];
    for (let k = 0; k < n; k++) {
      out.push({ id: `${frame.id}#${tile++}`, modality: frame.modality, origin, channels: c, height: h, width: w, data: b.data.slice(k * c * h * w, (k + 1) * c * h * w) });
    }
  }
  return out;
}

/** A generated frame of `modality` (see the file comment). */
function generatedFrame(modality: ModalityId, seed: number, size: { height: number; width: number }, field: string): Frame {
  const id = `generated:${modality}:${seed}`;
  const base = { id, modality, timestamp: 0 };
  if (modality === 'optical' || modality === 'multispectral') {
    const { raster } = generateObjectScene({ width: size.width, height: size.height, seed });
    if (modality === 'optical') return { ...base, pixels: { data: Uint8Array.from([...raster.planes[0]!, ...raster.planes[1]!, ...raster.planes[2]!]), width: size.width, height: size.height, bands: 3, dtype: 'uint8', layout: 'chw' } };
    // B, G, R and a near-infrared band that is bright where the scene is green (vegetation) and dark on roads and roofs.
    const [r, g, b] = raster.planes as [Uint8Array, Uint8Array, Uint8Array];
    const nir = Uint8Array.from(g, (gv, i) => Math.max(0, Math.min(255, 1.6 * gv - 0.6 * r[i]!)));
    return { ...base, sensor: 'bgrn', pixels: { data: Uint8Array.from([...b, ...g, ...r, ...nir]), width: size.width, height: size.height, bands: 4, dtype: 'uint8', layout: 'chw' } };
  }
  if (modality === 'sar-l1' || modality === 'sar-l2') {
    const scene = generateQuadPolScene({ width: size.width, height: size.height, seed });
    const planes = scene.raster.planes as Float32Array[];
    if (modality === 'sar-l1') {
      const n = size.width * size.height;
      const data = new Float32Array(n * 8);
      for (let band = 0; band < 4; band++) for (let i = 0; i < n; i++) {
        data[2 * (band * n + i)] = planes[2 * band]![i]!;
        data[2 * (band * n + i) + 1] = planes[2 * band + 1]![i]!;
      }
      return { ...base, pixels: { data, width: size.width, height: size.height, bands: 4, dtype: 'complex64', layout: 'chw' } };
    }
    const amp = Float32Array.from(planes[0]!, (re, i) => Math.hypot(re, planes[1]![i]!));
    return { ...base, pixels: { data: amp, width: size.width, height: size.height, bands: 1, dtype: 'float32', layout: 'chw' } };
  }
  throw new EdgeError('E_CALIBRATION', `no generator for modality ${modality}; give real frames as ${modality}=<files>`, { field });
}

/**
 * Loads one source into a frame set.
 * @throws EdgeError E_CALIBRATION (frames that do not fit the modality, unknown generator),
 *   E_FILE_NOT_FOUND
 */
export async function loadFrameSource(spec: FrameSourceSpec, o: FrameSourceOptions): Promise<FrameSet> {
  const max = o.maxFrames ?? 32;
  if (spec.kind === 'generated') {
    const frames: PreparedFrame[] = [];
    for (let k = 0; k < Math.min(spec.count, max); k++) frames.push(...(await prepare(generatedFrame(spec.modality, spec.seed + k, o.inputSize, o.field), o, 'generated', 'resize')));
    return { modality: spec.modality, source: spec.text, origin: 'generated', frames };
  }
  const tiles: PreparedFrame[] = [];
  const sensor = o.sensorFor?.(spec.modality);
  for (const file of await imageFiles(spec.path, o.field)) {
    try {
      tiles.push(...(await prepare({ id: basename(file), modality: spec.modality, pixels: file, timestamp: 0, ...(sensor !== undefined ? { sensor } : {}) }, o, 'real', 'tile')));
    } catch (err) {
      if (isEdgeError(err)) throw err;
      throw new EdgeError('E_CALIBRATION', `frame ${file} could not be read: ${messageOf(err)}`, { file, field: o.field, cause: err });
    }
  }
  return { modality: spec.modality, source: spec.text, origin: 'real', frames: evenly(tiles, max) };
}

/** Loads several sources. */
export async function loadFrameSources(texts: readonly string[], o: FrameSourceOptions): Promise<FrameSet[]> {
  const sets: FrameSet[] = [];
  for (const t of texts) sets.push(await loadFrameSource(parseFrameSource(t, o), o));
  return sets;
}
