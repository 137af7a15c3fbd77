/**
 * Reflectance scaling from a Landsat Level-1 metadata file (`*_MTL.txt`): top-of-atmosphere
 * reflectance ρ = (M·DN + A) / sin(sun elevation) from REFLECTANCE_MULT/ADD_BAND_n (Collection-1 and
 * later), or — for older files without them — radiance L = M·DN + A from RADIANCE_MULT/ADD_BAND_n.
 * The result is a sensor configuration's `scale`/`offset`.
 *
 * The percentile stretch is invariant to a positive per-band affine map, so this scaling does not
 * change what the model sees; it makes no-data handling and any physical use of the values right.
 */
import { EdgeError } from '../../core/errors.js';
import type { SensorConfig } from '../bands/sensor-config.js';

/** Per-band scaling read from an MTL file. */
export interface LandsatScaling {
  quantity: 'toa-reflectance' | 'radiance';
  /** Per selected band: physical = DN · scale + offset. */
  scale: number[];
  offset: number[];
  sunElevation?: number;
  spacecraft?: string;
  acquired?: string;
}

/**
 * The flat KEY = value pairs of an MTL file (GROUP lines skipped, quotes removed).
 * @example
 * parseLandsatMtl(text).SUN_ELEVATION; // '53.14715018'
 */
export function parseLandsatMtl(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.replace(/\0/g, '').split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || m[1] === 'GROUP' || m[1] === 'END_GROUP') continue;
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/**
 * Scaling for the given Landsat band numbers (e.g. [1, 2, 3, 4] for B, G, R, NIR of TM/ETM+).
 * @param sunCorrection divide reflectance by sin(sun elevation) (default true)
 * @throws EdgeError E_CONFIG when the file lacks the coefficients for a band
 * @example
 * const { scale, offset } = landsatScaling(readFileSync('LT05_..._MTL.txt', 'utf8'), [1, 2, 3, 4]);
 */
export function landsatScaling(mtlText: string, bandNumbers: readonly number[], sunCorrection = true): LandsatScaling {
  const kv = parseLandsatMtl(mtlText);
  const num = (key: string): number | undefined => {
    const v = kv[key];
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const reflectance = bandNumbers.every(
    (b) => num(`REFLECTANCE_MULT_BAND_${b}`) !== undefined && num(`REFLECTANCE_ADD_BAND_${b}`) !== undefined,
  );
  const prefix = reflectance ? 'REFLECTANCE' : 'RADIANCE';
  const sunElevation = num('SUN_ELEVATION');
  let divisor = 1;
  if (reflectance && sunCorrection) {
    if (sunElevation === undefined || sunElevation <= 0)
      throw new EdgeError(
        'E_CONFIG',
        'MTL has reflectance coefficients but no positive SUN_ELEVATION for the sun-angle correction',
        { field: 'SUN_ELEVATION' },
      );
    divisor = Math.sin((sunElevation * Math.PI) / 180);
  }
  const scale: number[] = [];
  const offset: number[] = [];
  for (const b of bandNumbers) {
    const m = num(`${prefix}_MULT_BAND_${b}`);
    const a = num(`${prefix}_ADD_BAND_${b}`);
    if (m === undefined || a === undefined) {
      throw new EdgeError('E_CONFIG', `MTL has neither REFLECTANCE_ nor RADIANCE_MULT/ADD_BAND_${b}`, {
        field: `${prefix}_MULT_BAND_${b}`,
        hint: 'is this a Landsat Level-1 MTL file?',
      });
    }
    scale.push(m / divisor);
    offset.push(a / divisor);
  }
  return {
    quantity: reflectance ? 'toa-reflectance' : 'radiance',
    scale,
    offset,
    ...(sunElevation !== undefined ? { sunElevation } : {}),
    ...(kv.SPACECRAFT_ID ? { spacecraft: kv.SPACECRAFT_ID } : {}),
    ...(kv.DATE_ACQUIRED ? { acquired: kv.DATE_ACQUIRED } : {}),
  };
}

/**
 * A copy of a Landsat sensor configuration with the scene's scaling from its MTL file.
 * @param landsatBands Landsat band number of each selected band (default [1, 2, 3, 4])
 * @example
 * const sensor = withLandsatScaling(SENSOR_PRESETS['landsat5-tm'], readFileSync('LT05_..._MTL.txt', 'utf8'));
 */
export function withLandsatScaling(
  config: SensorConfig,
  mtlText: string,
  landsatBands: readonly number[] = [1, 2, 3, 4],
): SensorConfig {
  const s = landsatScaling(mtlText, landsatBands);
  return { ...config, id: `${config.id}+${s.quantity}`, scale: s.scale, offset: s.offset };
}
