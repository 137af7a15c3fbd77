/**
 * The decoded raster every decoder produces and every preprocessing step reads: band-sequential
 * planes at source resolution, in the sample type of the file. Complex rasters keep one real and one
 * imaginary plane per band.
 */

/** Sample types a raster can hold. `cint16`/`cint32`/`complex64`/`complex128` are complex (re, im). */
export const RASTER_DTYPES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'float64',
  'cint16',
  'cint32',
  'complex64',
  'complex128',
] as const;

/** A raster sample type. Complex types name the type of the pair (complex64 = two float32). */
export type RasterDType = (typeof RASTER_DTYPES)[number];

/** Typed arrays a raster plane can be. */
export type PlaneArray =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Planes of integer samples of at most 16 bits: every sample is exact in float32. */
export type IntegerPlane = Uint8Array | Int8Array | Uint16Array | Int16Array;

/** True for an {@link IntegerPlane}. */
export function isIntegerPlane(p: ArrayLike<number>): p is IntegerPlane {
  return p instanceof Uint8Array || p instanceof Int8Array || p instanceof Uint16Array || p instanceof Int16Array;
}

/**
 * A decoded raster. `planes[i]` holds `width * height` samples, row-major.
 * For a complex raster, band `k` is `planes[2k]` (real) and `planes[2k + 1]` (imaginary).
 */
export interface Raster {
  width: number;
  height: number;
  /** Sample type of the file (complex types: the type of the pair). */
  dtype: RasterDType;
  /** True for complex rasters (planes come in re/im pairs). */
  complex: boolean;
  planes: PlaneArray[];
}

/** True for the complex sample types. */
export function isComplexDType(dtype: RasterDType): boolean {
  return dtype === 'cint16' || dtype === 'cint32' || dtype === 'complex64' || dtype === 'complex128';
}

/** The real element type of a dtype (complex64 → float32, cint16 → int16, others unchanged). */
export function elementDType(
  dtype: RasterDType,
): Exclude<RasterDType, 'cint16' | 'cint32' | 'complex64' | 'complex128'> {
  switch (dtype) {
    case 'cint16':
      return 'int16';
    case 'cint32':
      return 'int32';
    case 'complex64':
      return 'float32';
    case 'complex128':
      return 'float64';
    default:
      return dtype;
  }
}

/** Bytes of one real element of `dtype` (complex64 → 4: one of the two parts). */
export function elementBytes(dtype: RasterDType): number {
  switch (elementDType(dtype)) {
    case 'uint8':
    case 'int8':
      return 1;
    case 'uint16':
    case 'int16':
      return 2;
    case 'float64':
      return 8;
    default:
      return 4;
  }
}

/** Number of bands (complex bands count once). */
export function bandCount(raster: Raster): number {
  return raster.complex ? raster.planes.length / 2 : raster.planes.length;
}

/** A new zero-filled plane of `length` elements of `dtype`'s element type. */
export function allocPlane(dtype: RasterDType, length: number): PlaneArray {
  switch (elementDType(dtype)) {
    case 'uint8':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'float32':
      return new Float32Array(length);
    default:
      return new Float64Array(length);
  }
}

/** True for float element types (where NaN/Inf can occur). */
export function isFloatDType(dtype: RasterDType): boolean {
  const e = elementDType(dtype);
  return e === 'float32' || e === 'float64';
}

/**
 * A raster as raw frame pixels (`chw` layout; complex bands as interleaved re/im), e.g. to feed a
 * generated scene to `preprocessFrame`.
 * @example
 * await preprocessFrame({ id: 'sim', modality: 'sar-l1', timestamp: Date.now(), pixels: rasterToPixels(scene.raster) }, { inputSize: 192 });
 */
export function rasterToPixels(
  raster: Raster,
  noData?: number,
): {
  data: PlaneArray;
  width: number;
  height: number;
  bands: number;
  dtype: RasterDType;
  layout: 'chw';
  noData?: number;
} {
  const n = raster.width * raster.height;
  const bands = bandCount(raster);
  const data = allocPlane(raster.dtype, n * raster.planes.length);
  if (raster.complex) {
    for (let b = 0; b < bands; b++) {
      const re = raster.planes[2 * b]!;
      const im = raster.planes[2 * b + 1]!;
      for (let i = 0; i < n; i++) {
        data[2 * (b * n + i)] = re[i]!;
        data[2 * (b * n + i) + 1] = im[i]!;
      }
    }
  } else {
    raster.planes.forEach((p, b) => data.set(p as ArrayLike<number> as Float64Array, b * n));
  }
  return {
    data,
    width: raster.width,
    height: raster.height,
    bands,
    dtype: raster.dtype,
    layout: 'chw',
    ...(noData !== undefined ? { noData } : {}),
  };
}
