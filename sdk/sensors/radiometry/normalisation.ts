/**
 * Per-channel normalisation a model was trained with: `(v − mean_c) / std_c` in the 8-bit domain,
 * after the stretch. RingMoE's pre-training used ImageNet statistics (radiometry.ts); a model trained
 * on one sensor's own band statistics (e.g. the Statlog Landsat MSS reference) declares them in its
 * package (`model.preprocessing.<modality>.normalise`) and the SDK applies them instead.
 */
import { EdgeError } from '../../core/errors.js';
import { expectNumber, invalidOption, is, rejectUnknownKeys } from '../../core/validate.js';

/** Per-channel mean and standard deviation, one value per model channel, in 8-bit units. */
export interface ChannelNormalisation {
  mean: number[];
  std: number[];
}

/** Most channels a declared normalisation may have (the widest image modality has 4). */
const MAX_CHANNELS = 16;

/**
 * Checks a written normalisation.
 * @param name the option or manifest field it came from, named in errors
 * @throws EdgeError E_INVALID_ARGUMENT naming the field: not `{ mean, std }`, lengths that differ,
 *   values that are not finite, a std that is not positive
 * @example
 * checkNormalisation('options.normalise', { mean: [68.8, 83.3, 99.6, 83.4], std: [13.2, 22.8, 16.0, 19.0] });
 */
export function checkNormalisation(name: string, value: unknown): ChannelNormalisation {
  if (!is.object(value)) throw invalidOption(name, '{ mean: number[], std: number[] }', value);
  rejectUnknownKeys(name, value, ['mean', 'std']);
  const { mean, std } = value;
  if (!Array.isArray(mean) || mean.length < 1 || mean.length > MAX_CHANNELS)
    throw invalidOption(`${name}.mean`, `an array of 1 to ${MAX_CHANNELS} numbers`, mean);
  if (!Array.isArray(std) || std.length !== mean.length)
    throw invalidOption(`${name}.std`, `an array of ${mean.length} numbers (one per mean)`, std);
  return {
    mean: mean.map((v, i) => expectNumber(`${name}.mean[${i}]`, v, -1e6, 1e6)),
    std: std.map((v, i) => {
      const s = expectNumber(`${name}.std[${i}]`, v, 0, 1e6);
      if (s <= 0) throw invalidOption(`${name}.std[${i}]`, 'a number > 0', v);
      return s;
    }),
  };
}

/**
 * The normalisation for `channels` model channels: the declared one when given (its length must
 * match), else the defaults.
 * @throws EdgeError E_INVALID_ARGUMENT when the declared normalisation has another channel count
 */
export function channelStatistics(
  declared: ChannelNormalisation | undefined,
  channels: number,
  modality: string,
  defaults: { mean: readonly number[]; std: readonly number[] },
): { mean: readonly number[]; std: readonly number[] } {
  if (!declared) return defaults;
  if (declared.mean.length !== channels) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `normalise has ${declared.mean.length} channel(s) but ${modality} frames have ${channels} model channels`,
      {
        field: 'normalise.mean',
        hint: `give one mean and one std per ${modality} model channel`,
      },
    );
  }
  return declared;
}
