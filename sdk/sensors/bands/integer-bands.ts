/**
 * The selected bands of an integer frame as the decoder gave them, for the counting stretch
 * (radiometry/stretch-integer.ts): where applySensorConfig would only copy integer samples into
 * float32 planes (no scale, no offset, no SAR-L2 conversion), the decoder's planes are used as they
 * are and no source-size float plane is made.
 */
import type { BandEvidence } from './band-meaning.js';
import type { DecodedImage } from '../codecs/decode.js';
import type { FrameRef } from '../frame.js';
import { isIntegerPlane, type IntegerPlane } from '../raster.js';
import { bandsOf, selectBands, type SensorBands } from './sensor-bands.js';
import { perBand, type SensorConfig } from './sensor-config.js';

/** {@link SensorBands} with the selected bands as the decoder's integer planes. */
export interface IntegerSensorBands extends Omit<SensorBands, 'planes'> {
  /**
   * One plane per selected band: the decoder's own arrays, not copied (a band selected twice is the
   * same array). Masked pixels keep their values; `noDataMask` says which they are.
   */
  integerPlanes: IntegerPlane[];
}

/**
 * The selected bands as the decoder's integer planes, or undefined where applySensorConfig would
 * change the values: other modalities than multispectral and SAR-L2, complex or float samples,
 * samples of more than 16 bits, a scale or offset, a SAR-L2 band that is not amplitude.
 * @param metadata sensor metadata found beside the file, when it was looked for
 * @throws EdgeError E_FRAME_INVALID as applySensorConfig (bands or sample type that do not fit)
 * @example
 * const bands = integerSensorBands(decoded, config, ref) ?? applySensorConfig(decoded, config, ref);
 */
export function integerSensorBands(
  decoded: DecodedImage,
  given: SensorConfig,
  ref: FrameRef,
  metadata?: BandEvidence['metadata'],
): IntegerSensorBands | undefined {
  const { raster } = decoded;
  const modality = given.modality;
  // Frames that cannot qualify return before the bands are chosen (applySensorConfig chooses them).
  if (modality !== 'multispectral' && modality !== 'sar-l2') return undefined;
  if (raster.complex || !raster.planes.every(isIntegerPlane)) return undefined;
  const { config, bands, pairs, warnings } = selectBands(decoded, given, ref, metadata);
  if (pairs) return undefined;
  if (modality === 'sar-l2' && (config.sarL2Quantity ?? 'amplitude') !== 'amplitude') return undefined;
  if (bands.some((_, k) => perBand(config.scale, k, 1) !== 1 || perBand(config.offset, k, 0) !== 0)) return undefined;
  const planes = bands.map((b) => raster.planes[b - 1]!);
  if (!planes.every(isIntegerPlane)) return undefined;
  const n = raster.width * raster.height;
  const noData = config.noData ?? decoded.noData;
  let mask: Uint8Array | undefined = decoded.alphaNoData ? decoded.alphaNoData.slice() : undefined;
  // Only an integer no-data value can match integer samples (applySensorConfig's rule too).
  if (noData !== undefined && Number.isInteger(noData)) {
    for (const p of planes) {
      for (let i = 0; i < n; i++) {
        if (p[i] !== noData) continue;
        mask ??= new Uint8Array(n);
        mask[i] = 1;
      }
    }
  }
  return { ...bandsOf(raster, { config, bands, warnings }, mask, noData), integerPlanes: planes };
}
