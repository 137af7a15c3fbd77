/**
 * The sensor frame: what a camera, SAR processor or ground-station archive hands to the SDK, and the
 * one error shape every frame problem is reported in.
 */
import { EdgeError, type ErrorCode } from '../core/errors.js';
import { isModalityIdSyntax, type ModalityId } from '../core/modalities.js';
import type { GeoReference } from './geometry/georef.js';
import { RASTER_DTYPES, type PlaneArray, type RasterDType } from './raster.js';
import type { SensorConfig } from './bands/sensor-config.js';

/** Raw pixels already in memory, with their geometry stated explicitly. */
export interface RasterPixels {
  /** Samples; for complex dtypes re and im alternate (`[re0, im0, re1, im1, ...]` per band plane). */
  data: PlaneArray;
  width: number;
  height: number;
  /** Bands (complex bands count once: quad-pol = 4). */
  bands: number;
  dtype: RasterDType;
  /** `chw` = band-sequential planes; `hwc` = pixel-interleaved. */
  layout: 'chw' | 'hwc';
  /** Value marking missing samples, if any. */
  noData?: number;
}

/**
 * Where a frame's pixels are: an encoded file in memory (JPEG, PNG, WebP, TIFF/GeoTIFF), a file path,
 * or raw samples.
 */
export type FramePixels = Uint8Array | string | RasterPixels;

/** One sensor frame. */
export interface Frame {
  /** Caller's id; every error about the frame names it. */
  id: string;
  /** Which encoder input the frame feeds (`optical`, `multispectral`, `sar-l2`, `sar-l1`). */
  modality: ModalityId;
  pixels: FramePixels;
  /** Acquisition time: milliseconds since the epoch or an ISO-8601 string. */
  timestamp: number | string;
  /** Georeference; overrides the one read from a GeoTIFF. */
  georef?: GeoReference;
  /** Sensor preset id (see `SENSOR_PRESETS`) or a full sensor configuration. */
  sensor?: string | SensorConfig;
}

/** How errors refer to a frame. */
export interface FrameRef {
  id: string;
  /** File the frame came from, when it came from one. */
  file?: string;
}

/**
 * The error for a frame that cannot be used. The message starts with `frame "<id>"` and names the
 * file when there is one.
 * @param code `E_FRAME_DECODE` (the bytes cannot be decoded) or `E_FRAME_INVALID` (decoded, but unusable)
 */
export function frameError(
  code: Extract<ErrorCode, 'E_FRAME_DECODE' | 'E_FRAME_INVALID'>,
  ref: FrameRef,
  reason: string,
  extra: { field?: string; cause?: unknown; hint?: string } = {},
): EdgeError {
  return new EdgeError(code, `frame ${JSON.stringify(ref.id)}: ${reason}`, {
    ...(ref.file !== undefined ? { file: ref.file } : {}),
    ...(extra.field !== undefined ? { field: extra.field } : {}),
    ...(extra.hint !== undefined ? { hint: extra.hint } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
  });
}

/** The id to use in errors for something that may not be a frame at all. */
function idOf(frame: unknown): string {
  if (typeof frame === 'object' && frame !== null && typeof (frame as { id?: unknown }).id === 'string') {
    const id = (frame as { id: string }).id;
    return id.length > 0 ? id.slice(0, 200) : '(empty id)';
  }
  return '(no id)';
}

/** True when `v` is raw pixels (an object with a typed array `data`). */
export function isRasterPixels(v: unknown): v is RasterPixels {
  return (
    typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && ArrayBuffer.isView((v as { data?: unknown }).data)
  );
}

/**
 * Checks the frame's own fields (not its pixels). Returns the frame's error reference.
 * @throws EdgeError E_FRAME_INVALID naming the field at fault
 */
export function checkFrameFields(frame: unknown): FrameRef {
  const ref: FrameRef = { id: idOf(frame) };
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `expected a frame object but received ${frame === null ? 'null' : typeof frame}`,
    );
  }
  const f = frame as Partial<Frame>;
  if (typeof f.id !== 'string' || f.id.length === 0 || f.id.length > 256) {
    throw frameError('E_FRAME_INVALID', ref, 'frame.id must be a non-empty string of at most 256 characters', {
      field: 'frame.id',
    });
  }
  if (!isModalityIdSyntax(f.modality)) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `frame.modality must be a modality id such as "optical" but is ${JSON.stringify(f.modality)}`,
      { field: 'frame.modality' },
    );
  }
  const ts = f.timestamp;
  const tsOk =
    (typeof ts === 'number' && Number.isFinite(ts)) || (typeof ts === 'string' && !Number.isNaN(Date.parse(ts)));
  if (!tsOk) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `frame.timestamp must be epoch milliseconds or an ISO-8601 string but is ${JSON.stringify(ts)}`,
      { field: 'frame.timestamp' },
    );
  }
  const px = f.pixels;
  if (typeof px === 'string') {
    if (px.length === 0)
      throw frameError('E_FRAME_INVALID', ref, 'frame.pixels is an empty path', { field: 'frame.pixels' });
    ref.file = px;
  } else if (px instanceof Uint8Array) {
    if (px.byteLength === 0)
      throw frameError('E_FRAME_DECODE', ref, 'frame.pixels is an empty buffer', { field: 'frame.pixels' });
  } else if (isRasterPixels(px)) {
    checkRasterPixelsFields(px, ref);
  } else {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      'frame.pixels must be a Buffer/Uint8Array of an encoded file, a file path, or { data, width, height, bands, dtype, layout }',
      { field: 'frame.pixels' },
    );
  }
  return ref;
}

function checkRasterPixelsFields(px: RasterPixels, ref: FrameRef): void {
  for (const key of ['width', 'height', 'bands'] as const) {
    const v = px[key];
    if (!Number.isInteger(v) || v < 1) {
      throw frameError(
        'E_FRAME_INVALID',
        ref,
        `frame.pixels.${key} must be a positive integer but is ${JSON.stringify(v)}`,
        { field: `frame.pixels.${key}` },
      );
    }
  }
  if (!(RASTER_DTYPES as readonly string[]).includes(px.dtype)) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `frame.pixels.dtype must be one of ${RASTER_DTYPES.join(', ')} but is ${JSON.stringify(px.dtype)}`,
      { field: 'frame.pixels.dtype' },
    );
  }
  if (px.layout !== 'chw' && px.layout !== 'hwc') {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `frame.pixels.layout must be "chw" or "hwc" but is ${JSON.stringify(px.layout)}`,
      { field: 'frame.pixels.layout' },
    );
  }
  if (px.noData !== undefined && typeof px.noData !== 'number') {
    throw frameError('E_FRAME_INVALID', ref, 'frame.pixels.noData must be a number', { field: 'frame.pixels.noData' });
  }
}
