/**
 * Frames for calibration and fidelity: sensor images (JPEG, PNG, WebP, TIFF/GeoTIFF) decoded and
 * preprocessed per modality by the SDK's sensors module, preprocessed tensors saved as `.npy`, or
 * frames generated in code. Every frame says where it came from (`real` or `generated`), so
 * statistics and fidelity reports can tell them apart.
 */
import { extname } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { ModalitySpec } from '../../sdk/internal.js';
import type { FitMode } from '../../sdk/internal.js';
import { preprocessFrame } from '../../sdk/internal.js';
import type { FramePixels } from '../../sdk/internal.js';
import { rasterToPixels } from '../../sdk/internal.js';
import type { SensorConfig } from '../../sdk/internal.js';
import { generateObjectScene } from '../../sdk/internal.js';
import { generateQuadPolScene } from '../../sdk/internal.js';
import { Rng } from './seeded.js';
import { readNpy } from './npy.js';
import { FRAME_EXTENSIONS, IMAGE_EXTENSIONS } from './extensions.js';
import { resolveFiles } from './files.js';
import { parseFrameSpec } from './spec.js';

/** Spatial size of the frames a package takes. */
export interface FrameSize {
  height: number;
  width: number;
}

/** One frame: its provenance and, per modality, its model inputs (one, or several tiles). */
export interface Frame {
  id: string;
  source: 'real' | 'generated';
  note?: string;
  /**
   * The frame preprocessed for `modality` at `size`: [C, H, W] tensors, one per model input.
   * @throws EdgeError E_FRAME_DECODE / E_FRAME_INVALID when it cannot be
   */
  inputs(modality: ModalitySpec, size: FrameSize): Promise<Float32Array[]>;
}

/** How image files become model inputs. */
export interface ImageFrameOptions {
  /** `resize` (default: one input per frame), `resize-crop` or `tile` (native resolution, several inputs). */
  fit?: FitMode;
  /** Sensor preset id (docs/sensors.md §4), e.g. `landsat7-etm`, or a sensor configuration. */
  sensor?: string | SensorConfig;
  /** The sensor per modality (options sensor, bands, scale of a command); wins over `sensor`. */
  sensorFor?: (modality: string) => string | SensorConfig | undefined;
}

/** A preprocessed tensor saved as `.npy`, shape [C, H, W] or [1, C, H, W]. */
function npyFrame(file: string): Frame {
  return {
    id: file,
    source: 'real',
    note: 'preprocessed tensor read from a .npy file',
    async inputs(modality, size) {
      const { shape, data } = await readNpy(file);
      const s = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
      if (s.length !== 3 || s[0] !== modality.channels || s[1] !== size.height || s[2] !== size.width) {
        throw new EdgeError(
          'E_FRAME_INVALID',
          `tensor has shape (${shape.join(', ')}); ${modality.id} frames for this package are (${modality.channels}, ${size.height}, ${size.width})`,
          { file },
        );
      }
      return [data];
    },
  };
}

/** Splits preprocessed batches into one [C, H, W] tensor per model input. */
async function preprocessed(
  id: string,
  modality: ModalitySpec,
  size: FrameSize,
  pixels: FramePixels,
  o: ImageFrameOptions,
): Promise<Float32Array[]> {
  const sensor = o.sensorFor ? o.sensorFor(modality.id) : o.sensor;
  const pre = await preprocessFrame(
    { id, modality: modality.id, timestamp: 0, pixels, ...(sensor !== undefined ? { sensor } : {}) },
    { inputSize: { width: size.width, height: size.height }, fit: o.fit ?? 'resize' },
  );
  const out: Float32Array[] = [];
  for (const b of pre.batches) {
    const per = b.shape[1] * b.shape[2] * b.shape[3];
    if (b.shape[1] !== modality.channels)
      throw new EdgeError(
        'E_FRAME_INVALID',
        `frame ${JSON.stringify(id)} preprocesses to ${b.shape[1]} channels; the package's ${modality.id} input takes ${modality.channels}`,
      );
    for (let k = 0; k < b.shape[0]; k++) out.push(b.data.slice(k * per, (k + 1) * per));
  }
  return out;
}

/** A sensor image file, decoded and preprocessed for each modality by sdk/sensors. */
function imageFrame(file: string, o: ImageFrameOptions): Frame {
  return {
    id: file,
    source: 'real',
    note: `sensor image, preprocessed by sdk/sensors (fit ${o.fit ?? 'resize'})`,
    inputs: (modality, size) => preprocessed(file, modality, size, file, o),
  };
}

function fileFrame(file: string, o: ImageFrameOptions, field: string): Frame {
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') return npyFrame(file);
  if (IMAGE_EXTENSIONS.includes(ext)) return imageFrame(file, o);
  throw new EdgeError('E_CALIBRATION', `${file} is not a frame file this tool reads (${FRAME_EXTENSIONS.join(', ')})`, {
    field,
  });
}

/**
 * The frames a path names (files.ts): one file, the frame files of a directory, or a glob (`*`, `?`,
 * `**`); sensor images and preprocessed `.npy` tensors.
 * @throws EdgeError E_FILE_NOT_FOUND (nothing there, no frame file matches), E_CALIBRATION (a file
 *   that is not a frame)
 */
export async function resolveFrames(path: string, field = 'frames', o: ImageFrameOptions = {}): Promise<Frame[]> {
  return (await resolveFiles(path, { extensions: FRAME_EXTENSIONS, field })).map((f) => fileFrame(f, o, field));
}

/** How {@link framesFromSpec} reads a spec. */
export interface FrameSpecOptions extends ImageFrameOptions {
  /** The option that named the spec, for errors (e.g. `frames`). */
  field: string;
  /** Namespaces the ids of generated frames (`calibration`, `eval`; see {@link generatedFrames}). */
  purpose: string;
  /** Generated frames when the spec gives no count. */
  defaultCount: number;
}

/**
 * The frames a frame spec (spec.ts grammar) names, and the modality it says they are, if any: a
 * path gives real frames, `generated[:<modality>][:<count>[:<seed>]]` frames generated in code
 * (seed 0 unless given).
 * @throws EdgeError E_INVALID_ARGUMENT (malformed spec), E_FILE_NOT_FOUND, E_CALIBRATION
 */
export async function framesFromSpec(
  text: string,
  o: FrameSpecOptions,
): Promise<{ frames: Frame[]; modality?: string }> {
  const spec = parseFrameSpec(text, o.field);
  const frames =
    spec.kind === 'path'
      ? await resolveFrames(spec.path, o.field, o)
      : generatedFrames(spec.count ?? o.defaultCount, spec.seed ?? 0, o.purpose);
  return { frames, ...(spec.modality !== undefined ? { modality: spec.modality } : {}) };
}

/**
 * `count` frames generated in code, seeded and deterministic. Per modality: optical — a nadir RGB
 * scene with a road, buildings and vehicles (sdk/sensors generateObjectScene); sar-l1 — a complex
 * quad-pol scene with K-distributed speckle and ships (generateQuadPolScene); sar-l2 — the detected
 * VV amplitude of such a scene; multispectral — seeded uniform noise in [−2, 2) (there is no
 * multispectral generator). All preprocessed by sdk/sensors like real frames. They are not imagery
 * anyone measured, and every record of them says `generated`.
 * @param purpose namespaces the ids (`calibration`, `eval`), so two sets never share a frame
 */
export function generatedFrames(count: number, seed: number, purpose: string): Frame[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `generated:${purpose}:${seed}:${i}`;
    const sceneSeed = new Rng(seed, id).nextU32();
    return {
      id,
      source: 'generated' as const,
      note: 'generated in code: object scene (optical), quad-pol SAR scene (sar-l1, sar-l2 as its VV amplitude), seeded noise (multispectral)',
      async inputs(modality: ModalitySpec, size: FrameSize) {
        const side = { width: Math.max(64, size.width), height: Math.max(64, size.height) };
        if (modality.id === 'optical') {
          return preprocessed(
            id,
            modality,
            size,
            rasterToPixels(generateObjectScene({ ...side, seed: sceneSeed }).raster),
            {},
          );
        }
        if (modality.id === 'sar-l1' || modality.id === 'sar-l2') {
          const scene = generateQuadPolScene({ ...side, seed: sceneSeed });
          if (modality.id === 'sar-l1')
            return preprocessed(id, modality, size, rasterToPixels(scene.raster), { sensor: 'quadpol-slc' });
          const [re, im] = [scene.raster.planes[6]!, scene.raster.planes[7]!];
          const amplitude = Float32Array.from({ length: re.length }, (_, k) => Math.hypot(re[k]!, im[k]!));
          return preprocessed(
            id,
            modality,
            size,
            { data: amplitude, width: side.width, height: side.height, bands: 1, dtype: 'float32', layout: 'chw' },
            { sensor: 'sar-l2-amplitude' },
          );
        }
        const rng = new Rng(seed, `${id}:${modality.id}`);
        return [
          Float32Array.from({ length: modality.channels * size.height * size.width }, () => rng.uniform() * 4 - 2),
        ];
      },
    };
  });
}

/** Every model input of `frames` for one modality, in frame order (with the frame each came from). */
export async function expandInputs(
  frames: Frame[],
  modality: ModalitySpec,
  size: FrameSize,
): Promise<{ frame: string; tensor: Float32Array }[]> {
  const out: { frame: string; tensor: Float32Array }[] = [];
  for (const f of frames) for (const tensor of await f.inputs(modality, size)) out.push({ frame: f.id, tensor });
  return out;
}
