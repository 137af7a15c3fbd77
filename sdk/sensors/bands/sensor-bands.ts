/**
 * Applies a sensor configuration to a decoded raster: checks the band count and sample type fit the
 * modality, selects and orders the bands, applies scale/offset, builds the no-data mask and refuses
 * NaN/Inf samples that no no-data value accounts for.
 */
import { chooseModelBands, type BandEvidence } from './band-meaning.js';
import type { DecodedImage } from '../codecs/decode.js';
import { frameError, type FrameRef } from '../frame.js';
import { bandCount, isFloatDType, type PlaneArray } from '../raster.js';
import { perBand, type SensorConfig } from './sensor-config.js';

/** Selected bands in physical units at source resolution. */
export interface SensorBands {
  width: number;
  height: number;
  /** One plane per selected band; sar-l1: 8 planes (re, im of HH, HV, VH, VV). */
  planes: Float32Array[];
  /** 1 = no data; absent when no pixel is missing. */
  noDataMask?: Uint8Array;
  noDataCount: number;
  bandNames: string[];
  sensorId: string;
  /** No-data value that was applied, if any. */
  noDataValue?: number;
  /** Notes on how the bands were chosen (e.g. a 4-band frame read as B, G, R, NIR without a sensor). */
  warnings: string[];
}

const DEFAULT_NAMES: Record<string, string[]> = {
  optical: ['red', 'green', 'blue'],
  multispectral: ['blue', 'green', 'red', 'nir'],
  'sar-l2': ['amplitude'],
  'sar-l1': ['HH', 'HV', 'VH', 'VV'],
};

/** The bands a sensor configuration selects from a decoded frame, checked, before any sample is read. */
export interface BandSelection {
  /** The configuration with the bands chosen by meaning filled in. */
  config: SensorConfig;
  /** 1-based source bands (complex bands or (re, im) pairs for sar-l1), in model channel order. */
  bands: number[];
  /** sar-l1 from a real-valued source: band k is source bands 2k-1 and 2k. */
  pairs: boolean;
  /** Notes on how the bands were chosen. */
  warnings: string[];
}

/**
 * Selected, scaled bands of a decoded frame. Multispectral bands are chosen by meaning (band-meaning.ts).
 * @param metadata sensor metadata found beside the file, when it was looked for
 * @throws EdgeError E_FRAME_INVALID when bands or sample type do not fit the modality, when a
 *   multispectral frame's band meaning is unknown, or for NaN/Inf
 */
export function applySensorConfig(
  decoded: DecodedImage,
  given: SensorConfig,
  ref: FrameRef,
  metadata?: BandEvidence['metadata'],
): SensorBands {
  const { config, bands, pairs, warnings } = selectBands(decoded, given, ref, metadata);
  const { raster } = decoded;
  const modality = given.modality;
  const n = raster.width * raster.height;
  const noData = config.noData ?? decoded.noData;
  const ndIsNaN = noData !== undefined && Number.isNaN(noData);
  let mask: Uint8Array | undefined = decoded.alphaNoData ? decoded.alphaNoData.slice() : undefined;
  const markMissing = (i: number) => {
    mask ??= new Uint8Array(n);
    mask[i] = 1;
  };
  const badSample = (band: number, i: number, v: number) =>
    frameError(
      'E_FRAME_INVALID',
      ref,
      `band ${band} has ${Number.isNaN(v) ? 'a NaN' : 'an infinite'} sample at x=${i % raster.width}, y=${Math.floor(i / raster.width)} and no no-data value declares it`,
    );

  const planes: Float32Array[] = [];
  const complexIn = raster.complex || pairs;
  bands.forEach((b, k) => {
    const scale = perBand(config.scale, k, 1);
    const offset = perBand(config.offset, k, 0);
    if (complexIn) {
      const re = raster.planes[2 * (b - 1)]!;
      const im = raster.planes[2 * (b - 1) + 1]!;
      const outRe = new Float32Array(n);
      const outIm = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const r = re[i]!;
        const m = im[i]!;
        if (!Number.isFinite(r) || !Number.isFinite(m)) {
          if (ndIsNaN && (Number.isNaN(r) || Number.isNaN(m))) {
            markMissing(i);
            continue;
          }
          throw badSample(b, i, Number.isFinite(r) ? m : r);
        }
        if (noData !== undefined && r === noData && m === noData) {
          markMissing(i);
          continue;
        }
        outRe[i] = r * scale;
        outIm[i] = m * scale;
      }
      if (modality === 'sar-l2') planes.push(amplitude(outRe, outIm));
      else planes.push(outRe, outIm);
    } else {
      planes.push(
        scalePlane(raster.planes[b - 1]!, scale, offset, noData, ndIsNaN, markMissing, (i, v) => badSample(b, i, v)),
      );
    }
  });
  if (modality === 'sar-l2') convertSarL2(planes[0]!, config.sarL2Quantity ?? 'amplitude');
  if (mask) {
    const m: Uint8Array = mask;
    // A pixel missing in any band is missing: its model input would be half made up.
    for (const p of planes) for (let i = 0; i < n; i++) if (m[i]) p[i] = 0;
  }
  return { ...bandsOf(raster, { config, bands, warnings }, mask, noData), planes };
}

/**
 * Everything of {@link SensorBands} but the planes, for the bands of `selection` read from `raster`
 * with the no-data `mask` built while reading (shared with integer-bands.ts).
 */
export function bandsOf(
  raster: { width: number; height: number },
  selection: Pick<BandSelection, 'config' | 'bands' | 'warnings'>,
  mask: Uint8Array | undefined,
  noData: number | undefined,
): Omit<SensorBands, 'planes'> {
  let noDataCount = 0;
  if (mask) for (let i = 0; i < mask.length; i++) noDataCount += mask[i]!;
  return {
    width: raster.width,
    height: raster.height,
    ...(mask && noDataCount > 0 ? { noDataMask: mask } : {}),
    noDataCount,
    bandNames: selectedBandNames(selection.config, selection.bands),
    sensorId: selection.config.id,
    ...(noData !== undefined ? { noDataValue: noData } : {}),
    warnings: selection.warnings,
  };
}

/**
 * Checks that the bands and sample type fit the modality and chooses the bands (applySensorConfig's
 * first half, shared with integer-bands.ts).
 * @throws EdgeError E_FRAME_INVALID as applySensorConfig, except for NaN/Inf (no sample is read)
 */
export function selectBands(
  decoded: DecodedImage,
  given: SensorConfig,
  ref: FrameRef,
  metadata?: BandEvidence['metadata'],
): BandSelection {
  const { raster } = decoded;
  const modality = given.modality;
  const srcBands = bandCount(raster);
  const sensor = `sensor ${given.id}`;
  const expected = given.expectedBands ?? given.sourceBands?.length;
  if (expected !== undefined && srcBands !== expected) {
    throw frameError('E_FRAME_INVALID', ref, `${sensor} expects ${expected} bands but the frame has ${srcBands}`, {
      field: 'frame.pixels',
    });
  }
  if (raster.complex && modality === 'multispectral') {
    throw frameError('E_FRAME_INVALID', ref, `${modality} frames must be real-valued but the frame is ${raster.dtype}`);
  }
  const choice = chooseModelBands(
    given,
    {
      count: srcBands,
      ...(decoded.bandDescriptions ? { descriptions: decoded.bandDescriptions } : {}),
      ...(metadata ? { metadata } : {}),
    },
    ref,
  );
  const config = choice.config;
  const pairs = modality === 'sar-l1' && !raster.complex && (config.complexPairs ?? true);
  if (modality === 'sar-l1' && !raster.complex && !pairs) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `sar-l1 needs complex samples (or real (re, im) band pairs) but the frame is ${raster.dtype}`,
    );
  }
  if (raster.complex && modality !== 'sar-l1' && modality !== 'sar-l2') {
    throw frameError('E_FRAME_INVALID', ref, `${modality} frames must be real-valued but the frame is ${raster.dtype}`);
  }
  if (modality === 'optical' && raster.dtype !== 'uint8' && config.scale === undefined) {
    throw frameError('E_FRAME_INVALID', ref, `optical frames must be 8-bit but the frame is ${raster.dtype}`, {
      hint: 'scale it to 0..255: CLI --scale 1/257 for 16-bit; SDK sensor: { id, modality: "optical", scale: 1 / 257 }',
    });
  }
  if (pairs && !isFloatDType(raster.dtype) && raster.dtype !== 'int16' && raster.dtype !== 'int32') {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `sar-l1 (re, im) band pairs must be float or signed integers but are ${raster.dtype}`,
    );
  }
  const available = pairs ? Math.floor(srcBands / 2) : srcBands;
  let bands = config.bands;
  if (!bands) {
    if (modality === 'optical' && available < 3) bands = available >= 1 ? [1, 1, 1] : [];
    else
      bands = Array.from(
        { length: { optical: 3, multispectral: 4, 'sar-l2': 1, 'sar-l1': 4 }[modality as 'optical'] ?? 0 },
        (_, i) => i + 1,
      );
  } else if (modality === 'optical' && bands.length === 1) {
    bands = [bands[0]!, bands[0]!, bands[0]!];
  }
  const what = pairs ? 'complex band pairs' : 'bands';
  for (const b of bands) {
    if (b > available) {
      const need = modality === 'sar-l1' ? 'HH, HV, VH, VV' : `${bands.length}`;
      throw frameError(
        'E_FRAME_INVALID',
        ref,
        `${sensor} selects band ${b} but the frame has ${available} ${what} (${modality} needs ${need})`,
        { field: 'frame.pixels' },
      );
    }
  }
  if (modality === 'sar-l1' && config.offset !== undefined) {
    throw frameError('E_FRAME_INVALID', ref, `${sensor}: an offset has no meaning for complex samples`, {
      field: 'frame.sensor.offset',
    });
  }
  return { config, bands, pairs, warnings: choice.warnings };
}

/** Names of the selected bands: the configuration's, else the modality's defaults, else `band<k>`. */
export function selectedBandNames(config: SensorConfig, bands: number[]): string[] {
  return config.bandNames ?? DEFAULT_NAMES[config.modality] ?? bands.map((b) => `band${b}`);
}

function scalePlane(
  src: PlaneArray,
  scale: number,
  offset: number,
  noData: number | undefined,
  ndIsNaN: boolean,
  markMissing: (i: number) => void,
  bad: (i: number, v: number) => Error,
): Float32Array {
  const n = src.length;
  const out = new Float32Array(n);
  if (
    !(src instanceof Float32Array || src instanceof Float64Array) &&
    (noData === undefined || !Number.isInteger(noData))
  ) {
    // Integer samples are always finite and no integer no-data value can match: convert natively.
    out.set(src);
    if (scale !== 1 || offset !== 0) for (let i = 0; i < n; i++) out[i] = out[i]! * scale + offset;
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    if (v === noData) {
      markMissing(i);
      continue;
    }
    if (!Number.isFinite(v)) {
      if (ndIsNaN && Number.isNaN(v)) {
        markMissing(i);
        continue;
      }
      throw bad(i, v);
    }
    out[i] = v * scale + offset;
  }
  return out;
}

function amplitude(re: Float32Array, im: Float32Array): Float32Array {
  const out = new Float32Array(re.length);
  for (let i = 0; i < re.length; i++) out[i] = Math.hypot(re[i]!, im[i]!);
  return out;
}

function convertSarL2(p: Float32Array, quantity: 'amplitude' | 'intensity' | 'db'): void {
  if (quantity === 'intensity') for (let i = 0; i < p.length; i++) p[i] = Math.sqrt(Math.max(0, p[i]!));
  else if (quantity === 'db') for (let i = 0; i < p.length; i++) p[i] = 10 ** (p[i]! / 20);
}
