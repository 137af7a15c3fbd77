/**
 * Sensor configuration: which source bands feed the model and in which order, how digital numbers
 * become physical values (scale/offset), and what marks missing data. Presets live in presets.ts.
 */
import type { ModalityId } from '../../core/modalities.js';
import { CANONICAL_BANDS } from './band-names.js';
import { frameError, type FrameRef } from '../frame.js';
import { SENSOR_PRESETS } from './presets.js';

/** How a SAR-L2 band's values relate to amplitude. */
export type SarL2Quantity = 'amplitude' | 'intensity' | 'db';

/** Per-sensor configuration. Plain JSON. */
export interface SensorConfig {
  /** Short id, e.g. `landsat7-etm`. */
  id: string;
  /** One line on the sensor/product. */
  description?: string;
  /** The modality this sensor feeds. */
  modality: ModalityId;
  /**
   * 1-based source band numbers in model channel order: optical R,G,B; multispectral B,G,R,NIR;
   * sar-l2 the one amplitude band; sar-l1 the complex bands HH,HV,VH,VV. Default: the first bands.
   */
  bands?: number[];
  /** Names of the selected bands, in the same order (documentation and results). */
  bandNames?: string[];
  /**
   * Canonical name of every band of the source, in file order (see `CANONICAL_BANDS`), e.g. an OLI
   * stack `['coastal', 'blue', 'green', 'red', 'nir', 'swir1', 'swir2']`. Without `bands`, the model's
   * bands are chosen from these names; the source must have exactly this many bands.
   */
  sourceBands?: string[];
  /** Band count the source must have (refuses e.g. a 6-band stack where a 7-band one is expected). */
  expectedBands?: number;
  /** Physical value = DN · scale + offset, per selected band (one number applies to all). */
  scale?: number | number[];
  offset?: number | number[];
  /** No-data value in source units; overrides the file's (GDAL_NODATA). */
  noData?: number;
  /** Fraction of no-data pixels above which a frame (or tile) is flagged (default 0.15). */
  noDataLimit?: number;
  /** SAR-L2: what the band holds (default `amplitude`); intensity and dB are converted to amplitude. */
  sarL2Quantity?: SarL2Quantity;
  /**
   * SAR-L1 from a real-valued source: consecutive source bands are (re, im) pairs, so complex band k
   * is source bands 2k-1 and 2k. Default: true for real-valued sources, ignored for complex ones.
   */
  complexPairs?: boolean;
}

/** Default fraction of no-data pixels that flags a frame: pre-training dropped SAR-L2 tiles with ≥ 15 % empty pixels. */
export const DEFAULT_NO_DATA_LIMIT = 0.15;

/** Channels per built-in modality into the encoder, and how many source bands they take. */
export const MODALITY_BANDS: Record<string, { channels: number; bands: number }> = {
  optical: { channels: 3, bands: 3 },
  multispectral: { channels: 4, bands: 4 },
  'sar-l2': { channels: 3, bands: 1 },
  'sar-l1': { channels: 8, bands: 4 },
};

const KNOWN_KEYS = [
  'id',
  'description',
  'modality',
  'bands',
  'bandNames',
  'sourceBands',
  'expectedBands',
  'scale',
  'offset',
  'noData',
  'noDataLimit',
  'sarL2Quantity',
  'complexPairs',
];

/**
 * The sensor configuration a frame uses: its preset or object, else the modality's default.
 * @throws EdgeError E_FRAME_INVALID for unknown presets, malformed configs or a modality mismatch
 */
export function resolveSensorConfig(sensor: unknown, modality: ModalityId, ref: FrameRef): SensorConfig {
  if (!(modality in MODALITY_BANDS)) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `modality ${JSON.stringify(modality)} has no preprocessing here; built-in: ${Object.keys(MODALITY_BANDS).join(', ')}`,
      { field: 'frame.modality' },
    );
  }
  if (sensor === undefined) return { id: `default-${modality}`, modality };
  let config: SensorConfig;
  if (typeof sensor === 'string') {
    const preset = SENSOR_PRESETS[sensor];
    if (!preset)
      throw frameError(
        'E_FRAME_INVALID',
        ref,
        `unknown sensor preset ${JSON.stringify(sensor)}; known: ${Object.keys(SENSOR_PRESETS).join(', ')}`,
        { field: 'frame.sensor' },
      );
    config = preset;
  } else {
    config = checkSensorConfig(sensor, ref);
  }
  if (config.modality !== modality) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `sensor ${config.id} feeds ${config.modality} but the frame is ${modality}`,
      { field: 'frame.sensor' },
    );
  }
  return config;
}

/**
 * Validates a sensor configuration object.
 * @throws EdgeError E_FRAME_INVALID naming the field at fault
 */
export function checkSensorConfig(value: unknown, ref: FrameRef): SensorConfig {
  const bad = (field: string, why: string) =>
    frameError('E_FRAME_INVALID', ref, `frame.sensor.${field} ${why}`, { field: `frame.sensor.${field}` });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw frameError('E_FRAME_INVALID', ref, 'frame.sensor must be a preset id or a sensor configuration object', {
      field: 'frame.sensor',
    });
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c))
    if (!KNOWN_KEYS.includes(key))
      throw bad(key, `is not a sensor configuration field (known: ${KNOWN_KEYS.join(', ')})`);
  if (typeof c.id !== 'string' || c.id.length === 0) throw bad('id', 'must be a non-empty string');
  if (typeof c.modality !== 'string' || !(c.modality in MODALITY_BANDS))
    throw bad('modality', `must be one of ${Object.keys(MODALITY_BANDS).join(', ')}`);
  const want = MODALITY_BANDS[c.modality]!.bands;
  if (c.bands !== undefined) {
    if (!Array.isArray(c.bands) || !c.bands.every((b) => Number.isInteger(b) && b >= 1))
      throw bad('bands', 'must be 1-based band numbers');
    const okCount = c.modality === 'optical' ? c.bands.length === 1 || c.bands.length === 3 : c.bands.length === want;
    if (!okCount) throw bad('bands', `must select ${want} band(s) for ${c.modality} but selects ${c.bands.length}`);
  }
  if (c.bandNames !== undefined && (!Array.isArray(c.bandNames) || !c.bandNames.every((n) => typeof n === 'string')))
    throw bad('bandNames', 'must be strings');
  if (c.sourceBands !== undefined) {
    const canonical: readonly string[] = CANONICAL_BANDS;
    if (
      !Array.isArray(c.sourceBands) ||
      c.sourceBands.length === 0 ||
      !c.sourceBands.every((n) => typeof n === 'string' && (n === '' || canonical.includes(n)))
    ) {
      throw bad(
        'sourceBands',
        `must list every source band by canonical name ('' for one without meaning here): ${CANONICAL_BANDS.join(', ')}`,
      );
    }
    if (c.expectedBands !== undefined && c.expectedBands !== c.sourceBands.length)
      throw bad('expectedBands', `is ${String(c.expectedBands)} but sourceBands names ${c.sourceBands.length} bands`);
  }
  if (c.expectedBands !== undefined && !(Number.isInteger(c.expectedBands) && (c.expectedBands as number) >= 1))
    throw bad('expectedBands', 'must be a positive integer');
  for (const key of ['scale', 'offset'] as const) {
    const v = c[key];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad(key, 'must be finite numbers');
    if (key === 'scale' && list.some((x) => x === 0)) throw bad(key, 'must not be 0');
    if (Array.isArray(v) && c.bands !== undefined && v.length !== (c.bands as number[]).length)
      throw bad(key, `has ${v.length} values for ${(c.bands as number[]).length} bands`);
  }
  if (c.noData !== undefined && typeof c.noData !== 'number') throw bad('noData', 'must be a number (NaN allowed)');
  if (c.noDataLimit !== undefined && !(typeof c.noDataLimit === 'number' && c.noDataLimit >= 0 && c.noDataLimit <= 1))
    throw bad('noDataLimit', 'must be a fraction between 0 and 1');
  if (c.sarL2Quantity !== undefined && !['amplitude', 'intensity', 'db'].includes(c.sarL2Quantity as string))
    throw bad('sarL2Quantity', 'must be "amplitude", "intensity" or "db"');
  if (c.complexPairs !== undefined && typeof c.complexPairs !== 'boolean')
    throw bad('complexPairs', 'must be a boolean');
  return c as unknown as SensorConfig;
}

/** The value of a per-band setting for selected band `i`. */
export function perBand(v: number | number[] | undefined, i: number, fallback: number): number {
  if (v === undefined) return fallback;
  return Array.isArray(v) ? (v[i] ?? fallback) : v;
}
