/**
 * A small GeoTIFF writer: little-endian classic TIFF, strips or tiles, no compression or Deflate,
 * pixel- or band-interleaved, every {@link RasterDType} including complex (SampleFormat 5/6), with the
 * georeference (ModelPixelScale + ModelTiepoint, or ModelTransformation when rotated), the CRS's EPSG
 * code and units, and GDAL_NODATA. Used to save generated scenes and to build test fixtures; reading
 * back goes through the normal decoder.
 */
import { deflateSync } from 'node:zlib';
import type { GeoReference, GeoTransform } from '../geometry/georef.js';
import { elementBytes, elementDType, type Raster } from '../raster.js';

/** Options of {@link encodeGeoTiff}. */
export interface EncodeGeoTiffOptions {
  georef?: GeoReference;
  noData?: number;
  /** 1 = pixel-interleaved (default), 2 = one plane per band. */
  planar?: 1 | 2;
  compression?: 'none' | 'deflate';
  /** Write square tiles of this size (multiple of 16) instead of strips. */
  tileSize?: number;
  /** Band descriptions, written as GDAL does (GDAL_METADATA items with role "description"). */
  bandDescriptions?: string[];
  /** Tag the raster PixelIsPoint (the tiepoint names the first pixel's centre) instead of PixelIsArea. */
  pixelIsPoint?: boolean;
}

const T = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12 } as const;

interface Entry {
  tag: number;
  type: number;
  values: number[] | string;
}

/**
 * Encodes `raster` as a GeoTIFF file.
 * @example
 * writeFileSync('scene.tif', encodeGeoTiff(scene.raster, { georef: scene.georef, compression: 'deflate' }));
 */
export function encodeGeoTiff(raster: Raster, options: EncodeGeoTiffOptions = {}): Uint8Array {
  const { width, height, complex, dtype } = raster;
  const planar = options.planar ?? 1;
  const bands = complex ? raster.planes.length / 2 : raster.planes.length;
  const eb = elementBytes(dtype);
  const sampleBytes = eb * (complex ? 2 : 1);
  const el = elementDType(dtype);
  const format = complex
    ? el === 'float32' || el === 'float64'
      ? 6
      : 5
    : el.startsWith('float')
      ? 3
      : el.startsWith('int')
        ? 2
        : 1;
  const tile = options.tileSize;
  const blockW = tile ?? width;
  const blockH =
    tile ??
    Math.max(1, Math.min(height, Math.floor(65536 / Math.max(1, width * sampleBytes * (planar === 1 ? bands : 1)))));
  const across = Math.ceil(width / blockW);
  const down = Math.ceil(height / blockH);
  const blocks: Uint8Array[] = [];
  for (let p = 0; p < (planar === 2 ? bands : 1); p++) {
    for (let by = 0; by < down; by++) {
      for (let bx = 0; bx < across; bx++) {
        const rows = tile ? blockH : Math.min(blockH, height - by * blockH);
        const bandList = planar === 2 ? [p] : Array.from({ length: bands }, (_, b) => b);
        const buf = new Uint8Array(blockW * rows * sampleBytes * bandList.length);
        const dv = new DataView(buf.buffer);
        let o = 0;
        for (let y = 0; y < rows; y++) {
          for (let x = 0; x < blockW; x++) {
            const sx = bx * blockW + x;
            const sy = by * blockH + y;
            for (const b of bandList) {
              const inside = sx < width && sy < height;
              const i = sy * width + sx;
              const parts = complex ? [raster.planes[2 * b]!, raster.planes[2 * b + 1]!] : [raster.planes[b]!];
              for (const part of parts) {
                writeElement(dv, o, el, inside ? part[i]! : 0);
                o += eb;
              }
            }
          }
        }
        blocks.push(options.compression === 'deflate' ? deflateSync(buf) : buf);
      }
    }
  }
  const spp = bands;
  const entries: Entry[] = [
    { tag: 256, type: T.LONG, values: [width] },
    { tag: 257, type: T.LONG, values: [height] },
    { tag: 258, type: T.SHORT, values: new Array<number>(spp).fill(sampleBytes * 8) },
    { tag: 259, type: T.SHORT, values: [options.compression === 'deflate' ? 8 : 1] },
    { tag: 262, type: T.SHORT, values: [spp === 3 && el === 'uint8' ? 2 : 1] },
    { tag: 277, type: T.SHORT, values: [spp] },
    { tag: 284, type: T.SHORT, values: [planar] },
    { tag: 339, type: T.SHORT, values: new Array<number>(spp).fill(format) },
  ];
  const photometricBands = spp === 3 && el === 'uint8' ? 3 : 1;
  if (spp > photometricBands)
    entries.push({ tag: 338, type: T.SHORT, values: new Array<number>(spp - photometricBands).fill(0) });
  const sizes = blocks.map((b) => b.length);
  if (tile) {
    entries.push({ tag: 322, type: T.LONG, values: [tile] }, { tag: 323, type: T.LONG, values: [tile] });
    entries.push({ tag: 324, type: T.LONG, values: sizes.map(() => 0) }, { tag: 325, type: T.LONG, values: sizes });
  } else {
    entries.push(
      { tag: 273, type: T.LONG, values: sizes.map(() => 0) },
      { tag: 278, type: T.LONG, values: [blockH] },
      { tag: 279, type: T.LONG, values: sizes },
    );
  }
  if (options.georef) entries.push(...geoEntries(options.georef, options.pixelIsPoint ?? false));
  if (options.bandDescriptions?.length)
    entries.push({ tag: 42112, type: T.ASCII, values: gdalMetadataXml(options.bandDescriptions) });
  if (options.noData !== undefined)
    entries.push({ tag: 42113, type: T.ASCII, values: Number.isNaN(options.noData) ? 'nan' : String(options.noData) });
  return assemble(entries, blocks, tile ? 324 : 273);
}

function writeElement(dv: DataView, o: number, el: string, v: number): void {
  switch (el) {
    case 'uint8':
      dv.setUint8(o, v);
      break;
    case 'int8':
      dv.setInt8(o, v);
      break;
    case 'uint16':
      dv.setUint16(o, v, true);
      break;
    case 'int16':
      dv.setInt16(o, v, true);
      break;
    case 'uint32':
      dv.setUint32(o, v, true);
      break;
    case 'int32':
      dv.setInt32(o, v, true);
      break;
    case 'float32':
      dv.setFloat32(o, v, true);
      break;
    default:
      dv.setFloat64(o, v, true);
  }
}

function geoEntries(g: GeoReference, pixelIsPoint: boolean): Entry[] {
  const c = g.transform;
  // PixelIsPoint files name the centre of the first pixel: move the corner origin by half a pixel.
  const t: GeoTransform = pixelIsPoint
    ? [c[0] + 0.5 * c[1] + 0.5 * c[2], c[1], c[2], c[3] + 0.5 * c[4] + 0.5 * c[5], c[4], c[5]]
    : c;
  const out: Entry[] = [];
  if (t[2] === 0 && t[4] === 0) {
    out.push({ tag: 33550, type: T.DOUBLE, values: [t[1], -t[5], 0] });
    out.push({ tag: 33922, type: T.DOUBLE, values: [0, 0, 0, t[0], t[3], 0] });
  } else {
    out.push({
      tag: 34264,
      type: T.DOUBLE,
      values: [t[1], t[2], 0, t[0], t[4], t[5], 0, t[3], 0, 0, 0, 0, 0, 0, 0, 1],
    });
  }
  const citation = g.citation ? `${g.citation}|` : '';
  const keys: number[][] = [
    [1024, 0, 1, g.crsKind === 'geographic' ? 2 : g.crsKind === 'projected' ? 1 : 32767],
    [1025, 0, 1, pixelIsPoint ? 2 : 1],
  ];
  if (citation) keys.push([1026, 34737, citation.length, 0]);
  if (g.crsKind === 'geographic') keys.push([2048, 0, 1, g.epsg ?? 32767], [2054, 0, 1, 9102]);
  if (g.crsKind === 'projected') {
    keys.push([3072, 0, 1, g.epsg ?? 32767]);
    if (g.unit === 'metre') keys.push([3076, 0, 1, 9001]);
  }
  keys.sort((a, b) => a[0]! - b[0]!);
  out.push({ tag: 34735, type: T.SHORT, values: [1, 1, 0, keys.length, ...keys.flat()] });
  if (citation) out.push({ tag: 34737, type: T.ASCII, values: citation });
  return out;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 12: 8 };

/** Lays out header, IFD, out-of-line values and pixel blocks; patches block offsets. */
function assemble(entries: Entry[], blocks: Uint8Array[], offsetsTag: number): Uint8Array {
  entries.sort((a, b) => a.tag - b.tag);
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = ifdOffset + ifdSize;
  const payloads = entries.map((e) => {
    const bytes = encodeValues(e);
    const inline = bytes.length <= 4;
    const at = inline ? -1 : extra;
    if (!inline) extra += bytes.length + (bytes.length % 2);
    return { e, bytes, at };
  });
  let dataAt = extra;
  const blockOffsets = blocks.map((b) => {
    const at = dataAt;
    dataAt += b.length;
    return at;
  });
  const offsetsEntry = payloads.find((p) => p.e.tag === offsetsTag)!;
  offsetsEntry.bytes = encodeValues({ ...offsetsEntry.e, values: blockOffsets });
  const out = new Uint8Array(dataAt);
  const dv = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  dv.setUint32(4, ifdOffset, true);
  dv.setUint16(ifdOffset, entries.length, true);
  payloads.forEach((p, k) => {
    const o = ifdOffset + 2 + k * 12;
    const count = typeof p.e.values === 'string' ? p.bytes.length : p.e.values.length;
    dv.setUint16(o, p.e.tag, true);
    dv.setUint16(o + 2, p.e.type, true);
    dv.setUint32(o + 4, count, true);
    if (p.at < 0) out.set(p.bytes, o + 8);
    else {
      dv.setUint32(o + 8, p.at, true);
      out.set(p.bytes, p.at);
    }
  });
  dv.setUint32(ifdOffset + 2 + entries.length * 12, 0, true);
  blocks.forEach((b, i) => out.set(b, blockOffsets[i]!));
  return out;
}

function encodeValues(e: Entry): Uint8Array {
  if (typeof e.values === 'string') return new TextEncoder().encode(`${e.values}\0`);
  const size = TYPE_SIZE[e.type]!;
  const out = new Uint8Array(e.values.length * size);
  const dv = new DataView(out.buffer);
  e.values.forEach((v, i) => {
    if (e.type === T.SHORT) dv.setUint16(i * 2, v, true);
    else if (e.type === T.LONG) dv.setUint32(i * 4, v, true);
    else if (e.type === T.DOUBLE) dv.setFloat64(i * 8, v, true);
    else dv.setUint8(i, v);
  });
  return out;
}

/** The GDAL_METADATA XML that carries band descriptions. */
function gdalMetadataXml(descriptions: string[]): string {
  const esc = (x: string) =>
    x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const items = descriptions
    .map((d, i) => `  <Item name="DESCRIPTION" sample="${i}" role="description">${esc(d)}</Item>\n`)
    .join('');
  return `<GDALMetadata>\n${items}</GDALMetadata>`;
}
