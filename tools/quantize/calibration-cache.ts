/**
 * TensorRT 8.x calibration caches (the file an `IInt8EntropyCalibrator2` writes and `trtexec
 * --calib=<file>` reads): a header line `TRT-<version>-EntropyCalibration2`, then one
 * `<tensor name>: <scale>` line per tensor, where the scale (dynamic range / 127) is written as
 * the hexadecimal value of its IEEE-754 binary32 bit pattern (most significant byte first, no
 * leading zeros, as `strtoul(..., 16)` reads it back).
 *
 * The version number is TensorRT's NV_TENSORRT_VERSION: major·1000 + minor·100 + patch up to 8.x
 * (8.5.2 → 8502), major·10000 + minor·100 + patch from 10.0 (10.3.0 → 100300). TensorRT ignores
 * a cache whose header names another version, so a cache is written for one exact version.
 */
import { EdgeError } from '../../sdk/internal.js';

/** Calibration algorithms TensorRT names in cache headers. */
export const CACHE_ALGORITHMS = [
  'EntropyCalibration2',
  'EntropyCalibration',
  'MinMaxCalibration',
  'LegacyCalibration',
] as const;
export type CacheAlgorithm = (typeof CACHE_ALGORITHMS)[number];

/** A parsed calibration cache. */
export interface CalibrationCache {
  /** NV_TENSORRT_VERSION of the TensorRT the cache is for (e.g. 8502). */
  versionNumber: number;
  algorithm: CacheAlgorithm;
  /** Per-tensor scale (dynamic range / 127), in file order. */
  scales: Map<string, number>;
}

/**
 * NV_TENSORRT_VERSION for a `major.minor.patch` version string.
 * @throws EdgeError E_INVALID_ARGUMENT for anything that is not a TensorRT 7–99 version
 * @example tensorrtVersionNumber('8.5.2') // 8502
 */
export function tensorrtVersionNumber(version: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:\.\d+)?$/.exec(version.trim());
  const [major, minor, patch] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [NaN, NaN, NaN];
  if (!m || major < 7 || major > 99 || minor > 99 || patch > 99) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `Expected a TensorRT version like "8.5.2" for tensorrtVersion but received ${JSON.stringify(version)}`,
      { field: 'tensorrtVersion' },
    );
  }
  return major >= 10 ? major * 10000 + minor * 100 + patch : major * 1000 + minor * 100 + patch;
}

/** The version string back from NV_TENSORRT_VERSION (8502 → "8.5.2", 100300 → "10.3.0"). */
export function tensorrtVersionString(n: number): string {
  if (n >= 100000) return `${Math.floor(n / 10000)}.${Math.floor(n / 100) % 100}.${n % 100}`;
  return `${Math.floor(n / 1000)}.${Math.floor(n / 100) % 10}.${n % 100}`;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Hex of a float's binary32 bits, as TensorRT writes it (`3c010a14`; `0` for 0). */
export function scaleToHex(scale: number): string {
  f32[0] = scale;
  return u32[0]!.toString(16);
}

/** The float a hex bit pattern encodes. */
export function hexToScale(hex: string): number {
  u32[0] = Number.parseInt(hex, 16) >>> 0;
  return f32[0]!;
}

/**
 * Serialises a cache. Scales must be finite and non-negative; tensor names must not contain a
 * newline or the `: ` separator TensorRT splits on.
 * @throws EdgeError E_CALIBRATION naming the tensor with an unusable scale or name
 */
export function writeCalibrationCache(cache: CalibrationCache): string {
  const lines = [`TRT-${cache.versionNumber}-${cache.algorithm}`];
  for (const [name, scale] of cache.scales) {
    if (!name || /[\n\r]/.test(name) || name.includes(': ')) {
      throw new EdgeError(
        'E_CALIBRATION',
        `tensor name ${JSON.stringify(name)} cannot be written to a TensorRT calibration cache`,
        { field: name },
      );
    }
    if (!Number.isFinite(scale) || scale < 0)
      throw new EdgeError(
        'E_CALIBRATION',
        `tensor ${name} has scale ${scale}; a calibration cache needs a finite scale >= 0`,
        { field: name },
      );
    lines.push(`${name}: ${scaleToHex(scale)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Parses a cache written by TensorRT or by {@link writeCalibrationCache}. Tensor names may contain
 * colons (TensorRT's own `(Unnamed Layer* 3) [Shuffle]_output`); the scale follows the last `: `.
 * @throws EdgeError E_CALIBRATION naming the file and line of the first problem
 */
export function parseCalibrationCache(text: string, file?: string): CalibrationCache {
  const where = (line: number) => ({ ...(file !== undefined ? { file } : {}), field: `line ${line}` });
  const lines = text.split(/\r?\n/);
  const header = /^TRT-(\d+)-(\w+)$/.exec(lines[0]?.trim() ?? '');
  if (!header)
    throw new EdgeError(
      'E_CALIBRATION',
      `not a TensorRT calibration cache: the first line must read TRT-<version>-<algorithm> (got ${JSON.stringify((lines[0] ?? '').slice(0, 60))})`,
      where(1),
    );
  const algorithm = header[2] as CacheAlgorithm;
  if (!CACHE_ALGORITHMS.includes(algorithm))
    throw new EdgeError(
      'E_CALIBRATION',
      `unknown calibration algorithm ${algorithm}; known: ${CACHE_ALGORITHMS.join(', ')}`,
      where(1),
    );
  const scales = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const at = line.lastIndexOf(':');
    const hex = at > 0 ? line.slice(at + 1).trim() : '';
    if (at <= 0 || !/^[0-9a-fA-F]{1,8}$/.test(hex))
      throw new EdgeError(
        'E_CALIBRATION',
        `expected "<tensor>: <hex scale>" but read ${JSON.stringify(line.slice(0, 80))}`,
        where(i + 1),
      );
    const name = line.slice(0, at);
    if (scales.has(name)) throw new EdgeError('E_CALIBRATION', `tensor ${name} appears twice`, where(i + 1));
    const scale = hexToScale(hex);
    if (!Number.isFinite(scale) || scale < 0)
      throw new EdgeError(
        'E_CALIBRATION',
        `tensor ${name} has scale bits ${hex}, which is not a finite scale >= 0`,
        where(i + 1),
      );
    scales.set(name, scale);
  }
  return { versionNumber: Number(header[1]), algorithm, scales };
}
