/**
 * Frames for calibration and fidelity: files named by a directory or a glob (preprocessed `.npy`
 * tensors), or frames generated in code. Every frame says where it came from, so statistics and
 * fidelity reports can tell real frames from generated ones.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/core/errors.js';
import type { ModalitySpec } from '../../sdk/core/modalities.js';
import { Rng } from '../ringmoe/seeded.js';
import { readNpy } from './npy.js';

/** Spatial size of the frames a package takes. */
export interface FrameSize {
  height: number;
  width: number;
}

/** One frame: its provenance and, per modality, the preprocessed [C, H, W] tensor. */
export interface Frame {
  id: string;
  source: 'real' | 'generated';
  note?: string;
  /** The frame preprocessed for `modality` at `size`. @throws EdgeError E_FRAME_INVALID when it cannot be */
  tensor(modality: ModalitySpec, size: FrameSize): Promise<Float32Array>;
}

/** File extensions a frame file may have. */
export const FRAME_EXTENSIONS = ['.npy'];

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

/** A preprocessed tensor saved as `.npy`, shape [C, H, W] or [1, C, H, W]. */
function npyFrame(file: string): Frame {
  return {
    id: file,
    source: 'real',
    note: 'preprocessed tensor (.npy)',
    async tensor(modality, size) {
      const { shape, data } = await readNpy(file);
      const s = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
      if (s.length !== 3 || s[0] !== modality.channels || s[1] !== size.height || s[2] !== size.width) {
        throw new EdgeError('E_FRAME_INVALID', `tensor has shape (${shape.join(', ')}); ${modality.id} frames for this package are (${modality.channels}, ${size.height}, ${size.width})`, { file });
      }
      return data;
    },
  };
}

/**
 * The frames named by `spec`: a directory (every frame file in it, sorted) or a glob whose `*`
 * and `?` are in the last path segment (`frames/optical-*.npy`).
 * @throws EdgeError E_FILE_NOT_FOUND (nothing there), E_CALIBRATION (no frame files match)
 */
export async function resolveFrames(spec: string, field = '--frames'): Promise<Frame[]> {
  let dir = spec;
  let match: RegExp | undefined;
  const isDir = await stat(spec).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    if (!/[*?]/.test(spec)) {
      const isFile = await stat(spec).then((s) => s.isFile(), () => false);
      if (!isFile) throw new EdgeError('E_FILE_NOT_FOUND', `no frame file, directory or glob matches ${JSON.stringify(spec)}`, { field });
      return [npyFrameOrRefuse(spec, field)];
    }
    dir = dirname(spec);
    if (/[*?]/.test(dir)) throw new EdgeError('E_INVALID_ARGUMENT', `wildcards are supported in the file name only, not in directories (${JSON.stringify(spec)})`, { field });
    match = globToRegExp(basename(spec));
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new EdgeError('E_FILE_NOT_FOUND', `cannot list frames: ${messageOf(err)}`, { field, file: dir, cause: err });
  }
  const files = names.filter((n) => FRAME_EXTENSIONS.includes(extname(n).toLowerCase()) && (!match || match.test(n))).sort();
  if (files.length === 0) {
    throw new EdgeError('E_CALIBRATION', `no frame files (${FRAME_EXTENSIONS.join(', ')}) in ${JSON.stringify(spec)}`, { field });
  }
  return files.map((n) => npyFrame(join(dir, n)));
}

function npyFrameOrRefuse(file: string, field: string): Frame {
  if (!FRAME_EXTENSIONS.includes(extname(file).toLowerCase())) {
    throw new EdgeError('E_CALIBRATION', `${file} is not a frame file this tool reads (${FRAME_EXTENSIONS.join(', ')})`, { field });
  }
  return npyFrame(file);
}

/**
 * `count` frames generated from a seed: values uniform in [-2, 2) per channel, the range of
 * normalised sensor data. They exercise every expert a router can reach; they are not imagery.
 * @param purpose namespaces the ids (`calibration`, `eval`), so two sets never share a frame
 */
export function generatedFrames(count: number, seed: number, purpose: string): Frame[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `generated:${purpose}:${seed}:${i}`;
    return {
      id,
      source: 'generated' as const,
      note: 'seeded uniform noise in [-2, 2) (not imagery)',
      async tensor(modality: ModalitySpec, size: FrameSize) {
        const rng = new Rng(seed, `${id}:${modality.id}`);
        return Float32Array.from({ length: modality.channels * size.height * size.width }, () => rng.uniform() * 4 - 2);
      },
    };
  });
}
