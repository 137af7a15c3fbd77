/**
 * Turning frame specs (spec.ts grammar) into prepared frames for the quantizer. A path names real
 * imagery (JPEG, PNG, WebP, TIFF/GeoTIFF, decoded and preprocessed per modality by the SDK's sensors
 * module, cut into model-sized tiles); `generated[:<modality>][:<count>[:<seed>]]` names GENERATED
 * scenes, not measurements: optical and multispectral object scenes with fields, a road, buildings
 * and vehicles; SAR-L1 complex quad-pol scenes with speckle and ships; SAR-L2 the detected HH
 * amplitude of such a scene.
 */
import { basename } from 'node:path';
import { EdgeError, isEdgeError, messageOf } from '../../sdk/internal.js';
import type { ModalityId } from '../../sdk/internal.js';
import type { Frame } from '../../sdk/internal.js';
import { preprocessFrame } from '../../sdk/internal.js';
import type { SensorConfig } from '../../sdk/internal.js';
import { generateObjectScene } from '../../sdk/internal.js';
import { generateQuadPolScene } from '../../sdk/internal.js';
import { IMAGE_EXTENSIONS } from './extensions.js';
import type { FrameSet, PreparedFrame } from './frame-set.js';
import { resolveFiles } from './files.js';
import { parseFrameSpec } from './spec.js';

export interface FrameSourceOptions {
  /** Model input size. */
  inputSize: { height: number; width: number };
  /** Modalities the package reads (a source without `<modality>=` is allowed when there is one). */
  modalities: readonly ModalityId[];
  /** Most frames (tiles) taken from one source, spread evenly over it. Default 32. */
  maxFrames?: number;
  /** Which option named the source, for messages (`calibration`, `heldOut`). */
  field: string;
  /** The sensor of real frames per modality (options sensor, bands, scale of a command). */
  sensorFor?: (modality: ModalityId) => string | SensorConfig | undefined;
}

/** A frame spec with its modality resolved. */
export type FrameSourceSpec =
  | { kind: 'path'; modality: ModalityId; path: string; text: string }
  | { kind: 'generated'; modality: ModalityId; count: number; seed: number; text: string };

/**
 * Parses one frame spec, resolving its modality: a path without `<modality>=` is allowed when the
 * package reads one modality; `generated` without a modality stands for every modality it reads.
 * @throws EdgeError E_INVALID_ARGUMENT for a malformed spec, E_CALIBRATION for a modality that
 *   cannot be inferred
 */
export function parseFrameSource(text: string, o: Pick<FrameSourceOptions, 'modalities' | 'field'>): FrameSourceSpec[] {
  const spec = parseFrameSpec(text, o.field);
  if (spec.kind === 'generated') {
    const modalities = spec.modality !== undefined ? [spec.modality] : o.modalities;
    return modalities.map((modality) => ({
      kind: 'generated',
      modality,
      count: spec.count ?? 16,
      seed: spec.seed ?? 1,
      text:
        spec.modality !== undefined
          ? text
          : `generated:${modality}${spec.count !== undefined ? `:${spec.count}` : ''}${spec.seed !== undefined ? `:${spec.seed}` : ''}`,
    }));
  }
  if (spec.modality !== undefined) return [{ kind: 'path', modality: spec.modality, path: spec.path, text }];
  if (o.modalities.length !== 1) {
    throw new EdgeError(
      'E_CALIBRATION',
      `frame source ${JSON.stringify(text)} does not say its modality and the package reads ${o.modalities.join(', ')}`,
      { field: o.field, hint: `write <modality>=${text}` },
    );
  }
  return [{ kind: 'path', modality: o.modalities[0]!, path: text, text }];
}

function evenly<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]!);
}

async function prepare(
  frame: Frame,
  o: FrameSourceOptions,
  origin: 'real' | 'generated',
  fit: 'tile' | 'resize',
): Promise<PreparedFrame[]> {
  let pre;
  try {
    pre = await preprocessFrame(frame, { inputSize: o.inputSize, fit });
  } catch (err) {
    if (isEdgeError(err) && (err.code === 'E_FRAME_INVALID' || err.code === 'E_FRAME_DECODE')) {
      throw new EdgeError(
        'E_CALIBRATION',
        `frame ${frame.id} cannot serve as ${frame.modality} input: ${err.message}`,
        { field: o.field, cause: err },
      );
    }
    throw err;
  }
  const out: PreparedFrame[] = [];
  let tile = 0;
  for (const b of pre.batches) {
    const [n, c, h, w] = b.shape as [number, number, number, number];
    for (let k = 0; k < n; k++) {
      out.push({
        id: `${frame.id}#${tile++}`,
        modality: frame.modality,
        origin,
        channels: c,
        height: h,
        width: w,
        data: b.data.slice(k * c * h * w, (k + 1) * c * h * w),
      });
    }
  }
  return out;
}

/** A generated frame of `modality` (see the file comment). */
function generatedFrame(
  modality: ModalityId,
  seed: number,
  size: { height: number; width: number },
  field: string,
): Frame {
  const id = `generated:${modality}:${seed}`;
  const base = { id, modality, timestamp: 0 };
  if (modality === 'optical' || modality === 'multispectral') {
    const { raster } = generateObjectScene({ width: size.width, height: size.height, seed });
    if (modality === 'optical')
      return {
        ...base,
        pixels: {
          data: Uint8Array.from([...raster.planes[0]!, ...raster.planes[1]!, ...raster.planes[2]!]),
          width: size.width,
          height: size.height,
          bands: 3,
          dtype: 'uint8',
          layout: 'chw',
        },
      };
    // B, G, R and a near-infrared band that is bright where the scene is green (vegetation) and dark on roads and roofs.
    const [r, g, b] = raster.planes as [Uint8Array, Uint8Array, Uint8Array];
    const nir = Uint8Array.from(g, (gv, i) => Math.max(0, Math.min(255, 1.6 * gv - 0.6 * r[i]!)));
    return {
      ...base,
      sensor: 'bgrn',
      pixels: {
        data: Uint8Array.from([...b, ...g, ...r, ...nir]),
        width: size.width,
        height: size.height,
        bands: 4,
        dtype: 'uint8',
        layout: 'chw',
      },
    };
  }
  if (modality === 'sar-l1' || modality === 'sar-l2') {
    const scene = generateQuadPolScene({ width: size.width, height: size.height, seed });
    const planes = scene.raster.planes as Float32Array[];
    if (modality === 'sar-l1') {
      const n = size.width * size.height;
      const data = new Float32Array(n * 8);
      for (let band = 0; band < 4; band++)
        for (let i = 0; i < n; i++) {
          data[2 * (band * n + i)] = planes[2 * band]![i]!;
          data[2 * (band * n + i) + 1] = planes[2 * band + 1]![i]!;
        }
      return {
        ...base,
        pixels: { data, width: size.width, height: size.height, bands: 4, dtype: 'complex64', layout: 'chw' },
      };
    }
    const amp = Float32Array.from(planes[0]!, (re, i) => Math.hypot(re, planes[1]![i]!));
    return {
      ...base,
      pixels: { data: amp, width: size.width, height: size.height, bands: 1, dtype: 'float32', layout: 'chw' },
    };
  }
  throw new EdgeError(
    'E_CALIBRATION',
    `no generator for modality ${modality}; give real frames as ${modality}=<files>`,
    { field },
  );
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
    for (let k = 0; k < Math.min(spec.count, max); k++)
      frames.push(
        ...(await prepare(
          generatedFrame(spec.modality, spec.seed + k, o.inputSize, o.field),
          o,
          'generated',
          'resize',
        )),
      );
    return { modality: spec.modality, source: spec.text, origin: 'generated', frames };
  }
  const tiles: PreparedFrame[] = [];
  const sensor = o.sensorFor?.(spec.modality);
  for (const file of await resolveFiles(spec.path, { extensions: IMAGE_EXTENSIONS, field: o.field })) {
    try {
      tiles.push(
        ...(await prepare(
          {
            id: basename(file),
            modality: spec.modality,
            pixels: file,
            timestamp: 0,
            ...(sensor !== undefined ? { sensor } : {}),
          },
          o,
          'real',
          'tile',
        )),
      );
    } catch (err) {
      if (isEdgeError(err)) throw err;
      throw new EdgeError('E_CALIBRATION', `frame ${file} could not be read: ${messageOf(err)}`, {
        file,
        field: o.field,
        cause: err,
      });
    }
  }
  return { modality: spec.modality, source: spec.text, origin: 'real', frames: evenly(tiles, max) };
}

/** Loads several sources. */
export async function loadFrameSources(texts: readonly string[], o: FrameSourceOptions): Promise<FrameSet[]> {
  const sets: FrameSet[] = [];
  for (const t of texts) for (const spec of parseFrameSource(t, o)) sets.push(await loadFrameSource(spec, o));
  return sets;
}
