/**
 * Recorded frames for the runtime: the image files a path names (files.ts), each an SDK `Frame`
 * with a stable id (its path relative to the working directory), its modality and the file's
 * modification time as its timestamp.
 */
import { stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { Frame } from '../../sdk/internal.js';
import { SENSOR_PRESETS } from '../../sdk/internal.js';
import type { SensorConfig } from '../../sdk/internal.js';
import { hasExtension, IMAGE_EXTENSIONS, OPTICAL_EXTENSIONS } from './extensions.js';
import { resolveFiles } from './files.js';

/**
 * The modality of a file: `modality` when given, else the modality of `sensor` (a preset id or the
 * modality a sensor configuration feeds), else optical for JPEG/PNG/WebP.
 * @param field the option that sets the modality, for errors
 * @throws EdgeError E_INVALID_ARGUMENT naming `field` when it cannot be told
 */
export function modalityOf(
  file: string,
  modality: string | undefined,
  sensor: string | undefined,
  field = 'modality',
): string {
  if (modality) return modality;
  if (sensor) return SENSOR_PRESETS[sensor]?.modality ?? sensor;
  if (hasExtension(file, OPTICAL_EXTENSIONS)) return 'optical';
  throw new EdgeError(
    'E_INVALID_ARGUMENT',
    `cannot tell the modality of ${basename(file)}: a TIFF may be optical, multispectral, sar-l2 or sar-l1`,
    {
      field,
      hint: 'pass option modality (e.g. multispectral) or option sensor with a preset such as landsat8-oli-tirs',
    },
  );
}

/** A frame id for a file: its path relative to the working directory (at most 256 characters). */
export function frameIdOf(file: string): string {
  const rel = relative(process.cwd(), resolve(file)).split(sep).join('/');
  return rel.length > 0 && rel.length <= 256 ? rel : basename(file).slice(-256);
}

/** How {@link recordedFrames} reads files. */
export interface RecordedFrameOptions {
  /** The option that named the path, for errors (e.g. `source`). */
  field: string;
  /** The modality of every file (else told per file by {@link modalityOf}). */
  modality?: string;
  /** The option that sets the modality, for errors (default `modality`). */
  modalityField?: string;
  /** The modality a sensor preset or configuration feeds. */
  sensorModality?: string;
  /** The sensor of the frames of a modality, if any. */
  sensorFor?: (modality: string) => string | SensorConfig | undefined;
}

/**
 * The SDK frames of the image files `path` names, sorted by path.
 * @throws EdgeError E_FILE_NOT_FOUND (nothing matches), E_INVALID_ARGUMENT (modality unknown)
 */
export async function recordedFrames(path: string, o: RecordedFrameOptions): Promise<Frame[]> {
  const files = await resolveFiles(path, { extensions: IMAGE_EXTENSIONS, field: o.field });
  const frames: Frame[] = [];
  for (const f of files) {
    const modality = modalityOf(f, o.modality, o.sensorModality, o.modalityField);
    const sensor = o.sensorFor?.(modality);
    frames.push({ id: frameIdOf(f), modality, pixels: f, timestamp: 0, ...(sensor ? { sensor } : {}) });
  }
  for (const [i, f] of files.entries()) frames[i]!.timestamp = Math.round((await stat(f)).mtimeMs);
  return frames;
}
