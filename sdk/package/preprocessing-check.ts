/**
 * Checks `model.preprocessing` of a manifest: per modality of the package, known fields with known
 * values, and a sensor configuration that passes the same rules as a frame's.
 */
import { isEdgeError } from '../core/errors.js';
import { checkSensorConfig } from '../sensors/bands/sensor-config.js';
import { checkNormalisation } from '../sensors/radiometry/normalisation.js';

/** One problem, with the manifest field it is in. */
export interface FieldProblem {
  field: string;
  message: string;
}

const CHOICES: Record<string, readonly string[]> = {
  stretch: ['released', 'precise', 'none'],
  interpolation: ['nearest', 'bilinear', 'bicubic'],
  fit: ['resize', 'resize-crop', 'tile'],
  statistics: ['tile', 'frame'],
};
const KEYS = [...Object.keys(CHOICES), 'sensor', 'normalise'];
/** Model channels of the modalities a declared normalisation applies to. */
const CHANNELS: Record<string, number> = { optical: 3, multispectral: 4, 'sar-l2': 3 };

/**
 * Problems of a manifest's `model.preprocessing` (none when it is absent).
 * @param modalities ids of the package's modalities
 * @example
 * preprocessingProblems({ multispectral: { stretch: 'flat' } }, ['multispectral']);
 * // [{ field: 'model.preprocessing.multispectral.stretch', message: '… must be one of released, precise, none …' }]
 */
export function preprocessingProblems(value: unknown, modalities: readonly string[]): FieldProblem[] {
  if (value === undefined) return [];
  const problems: FieldProblem[] = [];
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const add = (field: string, why: string) => problems.push({ field, message: `${field} ${why}` });
  if (!obj(value)) {
    add('model.preprocessing', 'must be an object keyed by modality id');
    return problems;
  }
  for (const [modality, p] of Object.entries(value)) {
    const base = `model.preprocessing.${modality}`;
    if (!modalities.includes(modality))
      add(base, `names a modality the package does not have (it has ${modalities.join(', ') || 'none'})`);
    if (!obj(p)) {
      add(base, 'must be an object like { stretch, interpolation, fit, statistics, normalise, sensor }');
      continue;
    }
    for (const key of Object.keys(p))
      if (!KEYS.includes(key)) add(`${base}.${key}`, `is not a preprocessing field (known: ${KEYS.join(', ')})`);
    for (const [key, list] of Object.entries(CHOICES)) {
      if (p[key] !== undefined && !list.includes(p[key] as string))
        add(`${base}.${key}`, `must be one of ${list.join(', ')} (got ${JSON.stringify(p[key])})`);
    }
    if (p.normalise !== undefined) {
      const field = `${base}.normalise`;
      try {
        const n = checkNormalisation(field, p.normalise);
        const channels = CHANNELS[modality];
        if (channels === undefined)
          add(field, `does not apply to ${modality} (only to ${Object.keys(CHANNELS).join(', ')})`);
        else if (n.mean.length !== channels)
          add(`${field}.mean`, `has ${n.mean.length} value(s); ${modality} has ${channels} model channels`);
      } catch (err) {
        if (!isEdgeError(err)) throw err;
        problems.push({ field: err.field ?? field, message: err.message });
      }
    }
    if (p.sensor !== undefined) {
      try {
        const sensor = checkSensorConfig(p.sensor, { id: base });
        if (sensor.modality !== modality)
          add(`${base}.sensor.modality`, `must be ${modality} (got ${sensor.modality})`);
      } catch (err) {
        if (!isEdgeError(err)) throw err;
        // checkSensorConfig names frame fields; here they are manifest fields.
        const field = (err.field ?? 'frame.sensor').replace(/^frame\.sensor/, `${base}.sensor`);
        const why = err.message.slice(err.message.indexOf(': ') + 2).replace(/frame\.sensor/g, `${base}.sensor`);
        problems.push({ field, message: why });
      }
    }
  }
  return problems;
}
