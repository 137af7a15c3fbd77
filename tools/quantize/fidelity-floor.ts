/**
 * The fidelity floor a quantized package must reach on held-out frames, and how candidates
 * (calibration methods) are ranked against it. Every measured figure becomes a check with its
 * margin over the floor (cosines and agreements: value − floor; depth error: floor − value); a
 * candidate's score is its worst margin, so the best candidate is the one furthest above the floor
 * where it is closest to it.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { QuantizedEntryFidelity } from './fidelity-run.js';

/** The floor. */
export interface FidelityFloors {
  /** Lowest mean cosine of every feature, embedding and raw float output. Default 0.99. */
  cosine: number;
  /** Lowest task agreement: classification top-1, segmentation and change pixels, detection F1. Default 0.9. */
  agreement: number;
  /** Highest relative depth error. Default 0.05. */
  depthError: number;
}

export const DEFAULT_FLOORS: FidelityFloors = { cosine: 0.99, agreement: 0.9, depthError: 0.05 };

/** One measured figure against its floor. */
export interface FidelityCheck {
  entry: string;
  /** `cosine:<output>`, `classificationTop1Agreement`, `segmentationPixelAgreement`, `changePixelAgreement`, `detectionF1`, `depthRelativeError`. */
  metric: string;
  value: number;
  floor: number;
  /** How far the value is on the good side of the floor (negative: below it). */
  margin: number;
}

/**
 * Checks the floors for completeness and range.
 * @throws EdgeError E_INVALID_ARGUMENT naming the field
 */
export function checkFloors(f: Partial<FidelityFloors> | undefined): FidelityFloors {
  const out = { ...DEFAULT_FLOORS, ...(f ?? {}) };
  for (const k of ['cosine', 'agreement'] as const) {
    if (!(typeof out[k] === 'number' && out[k] >= 0 && out[k] <= 1))
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `fidelity floor ${k} must be a number in [0, 1] (got ${String(out[k])})`,
        { field: `floors.${k}` },
      );
  }
  if (!(typeof out.depthError === 'number' && out.depthError >= 0))
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `fidelity floor depthError must be a number ≥ 0 (got ${String(out.depthError)})`,
      { field: 'floors.depthError' },
    );
  return out;
}

/** Every check of a candidate's measured fidelity. NaN figures (no frames) count as failing. */
export function fidelityChecks(entries: readonly QuantizedEntryFidelity[], floors: FidelityFloors): FidelityCheck[] {
  const checks: FidelityCheck[] = [];
  const atLeast = (entry: string, metric: string, value: number, floor: number) =>
    checks.push({ entry, metric, value, floor, margin: Number.isFinite(value) ? value - floor : -Infinity });
  for (const e of entries) {
    for (const [name, s] of Object.entries(e.featureCosine)) atLeast(e.entry, `cosine:${name}`, s.mean, floors.cosine);
    if (e.classificationTop1Agreement !== undefined)
      atLeast(e.entry, 'classificationTop1Agreement', e.classificationTop1Agreement, floors.agreement);
    if (e.segmentationPixelAgreement !== undefined)
      atLeast(e.entry, 'segmentationPixelAgreement', e.segmentationPixelAgreement, floors.agreement);
    if (e.changePixelAgreement !== undefined)
      atLeast(e.entry, 'changePixelAgreement', e.changePixelAgreement, floors.agreement);
    if (e.detection !== undefined) atLeast(e.entry, 'detectionF1', e.detection.f1, floors.agreement);
    if (e.depthRelativeError !== undefined) {
      const v = e.depthRelativeError;
      checks.push({
        entry: e.entry,
        metric: 'depthRelativeError',
        value: v,
        floor: floors.depthError,
        margin: Number.isFinite(v) ? floors.depthError - v : -Infinity,
      });
    }
  }
  return checks;
}

/** The check with the smallest margin, or undefined when nothing was measured. */
export function worstCheck(checks: readonly FidelityCheck[]): FidelityCheck | undefined {
  let worst: FidelityCheck | undefined;
  for (const c of checks) if (!worst || c.margin < worst.margin) worst = c;
  return worst;
}

/** `entry cosine:embedding 0.8412 < 0.99` for messages. */
export function describeCheck(c: FidelityCheck): string {
  const cmp = c.metric === 'depthRelativeError' ? (c.margin < 0 ? '>' : '≤') : c.margin < 0 ? '<' : '≥';
  return `${c.entry} ${c.metric} ${c.value.toFixed(4)} ${cmp} ${c.floor}`;
}
