/**
 * A TIFF's first directory read and checked by the SDK itself before geotiff.js sees the file.
 * geotiff.js allocates a typed array for every array tag at the count the tag declares (a few bytes
 * can claim four billion values) and schedules one read per tile the geometry implies, whether or not
 * the file lists that many tiles (a 414-byte file declaring 4096×4096 tiles of 1×1 pixels exhausts the
 * heap). Here every tag's values must lie inside the file, the tile or strip count is computed from
 * the geometry and must match the offsets and byte counts listed, stay under `limits.maxBlocks`, and
 * every block must lie inside the file.
 */
import { frameError, type FrameRef } from '../frame.js';
import { checkDimensions, type DecodeLimits } from './limits.js';

/** Bytes of one value of each TIFF field type. */
const TYPE_BYTES: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
} as const;

/** The block layout of a TIFF's first image, from its header. */
export interface TiffBlockLayout {
  width: number;
  height: number;
  tiled: boolean;
  blockWidth: number;
  blockHeight: number;
  /** Tiles or strips over all planes. */
  blocks: number;
  /** NewSubfileType: bit 0 = reduced-resolution image (overview), bit 2 = transparency mask. */
  subfileType: number;
  /** Byte offset of the next directory, 0 when this is the last. */
  nextDirectory: number;
}

interface Field {
  type: number;
  count: number;
  /** Where the values are (inline or at the offset the entry names). */
  at: number;
}

/**
 * Reads and checks one IFD of a TIFF (the first, unless `at` gives another directory's offset).
 * @throws EdgeError E_FRAME_DECODE for a directory or block list that does not fit the file or the
 *   geometry, E_FRAME_INVALID for more blocks than `limits.maxBlocks`
 */
export function checkTiffStructure(
  bytes: Uint8Array,
  ref: FrameRef,
  limits: DecodeLimits,
  at?: number,
): TiffBlockLayout {
  const bad = (why: string) => frameError('E_FRAME_DECODE', ref, `TIFF structure is invalid: ${why}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.byteLength;
  const le = bytes[0] === 0x49;
  const big = (le ? dv.getUint16(2, true) : dv.getUint16(2, false)) === 43;
  const u16 = (o: number) => dv.getUint16(o, le);
  const u32 = (o: number) => dv.getUint32(o, le);
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, le);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const need = (o: number, n: number, what: string) => {
    if (o < 0 || n < 0 || o + n > len)
      throw bad(`${what} (bytes ${o}–${o + n}) lies beyond the end of the ${len}-byte file`);
  };
  need(0, big ? 16 : 8, 'the header');
  const ifd = at ?? (big ? u64(8) : u32(4));
  const which = at === undefined ? 'the first directory' : `the directory at byte ${at}`;
  need(ifd, big ? 8 : 2, which);
  const entries = big ? u64(ifd) : u16(ifd);
  const entrySize = big ? 20 : 12;
  const inline = big ? 8 : 4;
  need(ifd + (big ? 8 : 2), entries * entrySize, `${which}'s ${entries} entries`);
  const nextAt = ifd + (big ? 8 : 2) + entries * entrySize;
  const nextDirectory = nextAt + (big ? 8 : 4) <= len ? (big ? u64(nextAt) : u32(nextAt)) : 0;
  const fields = new Map<number, Field>();
  for (let i = 0; i < entries; i++) {
    const e = ifd + (big ? 8 : 2) + i * entrySize;
    const tag = u16(e);
    const type = u16(e + 2);
    const count = big ? u64(e + 4) : u32(e + 4);
    const size = TYPE_BYTES[type];
    if (size === undefined) continue; // unknown types are skipped by readers; nothing is allocated for them
    const total = size * count;
    const at = total <= inline ? e + (big ? 12 : 8) : big ? u64(e + 12) : u32(e + 8);
    need(at, total, `tag ${tag} (${count} values)`);
    fields.set(tag, { type, count, at });
  }
  const value = (f: Field, k: number): number => {
    const o = f.at + k * TYPE_BYTES[f.type]!;
    if (f.type === 3) return u16(o);
    if (f.type === 4) return u32(o);
    if (f.type === 16) return u64(o);
    if (f.type === 1) return bytes[o]!;
    return NaN;
  };
  const scalar = (tag: number, fallback?: number): number => {
    const f = fields.get(tag);
    if (!f || f.count < 1) {
      if (fallback !== undefined) return fallback;
      throw bad(`tag ${tag} is missing`);
    }
    const v = value(f, 0);
    if (!Number.isFinite(v)) throw bad(`tag ${tag} has type ${f.type}, not an integer type`);
    return v;
  };
  const width = scalar(TAG.ImageWidth);
  const height = scalar(TAG.ImageLength);
  if (width < 1 || height < 1) throw bad(`image is ${width}×${height}`);
  // Size limits first, so an oversized header gets the same answer as from any other format.
  checkDimensions(ref, width, height, 1, 1, limits);
  const spp = scalar(TAG.SamplesPerPixel, 1);
  const planes = scalar(TAG.PlanarConfiguration, 1) === 2 ? spp : 1;
  const tiled = fields.has(TAG.TileOffsets);
  let blockWidth: number, blockHeight: number, perPlane: number;
  if (tiled) {
    blockWidth = scalar(TAG.TileWidth);
    blockHeight = scalar(TAG.TileLength);
    if (blockWidth < 1 || blockHeight < 1) throw bad(`tiles are ${blockWidth}×${blockHeight}`);
    perPlane = Math.ceil(width / blockWidth) * Math.ceil(height / blockHeight);
  } else {
    if (!fields.has(TAG.StripOffsets)) throw bad('neither strip nor tile offsets are present');
    blockWidth = width;
    blockHeight = Math.min(height, scalar(TAG.RowsPerStrip, height) || height);
    perPlane = Math.ceil(height / blockHeight);
  }
  const blocks = perPlane * planes;
  if (blocks > limits.maxBlocks) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `TIFF declares ${blocks} ${tiled ? 'tiles' : 'strips'} (${blockWidth}×${blockHeight} for a ${width}×${height} image), over the ${limits.maxBlocks}-block limit`,
      {
        hint: 'raise limits.maxBlocks if this layout is expected',
      },
    );
  }
  const offsets = fields.get(tiled ? TAG.TileOffsets : TAG.StripOffsets)!;
  const counts = fields.get(tiled ? TAG.TileByteCounts : TAG.StripByteCounts);
  const kind = tiled ? 'tile' : 'strip';
  if (!counts) throw bad(`${kind} byte counts are missing`);
  if (offsets.count !== blocks || counts.count !== blocks) {
    throw bad(
      `the geometry needs ${blocks} ${kind}s but the file lists ${offsets.count} offsets and ${counts.count} byte counts`,
    );
  }
  for (let k = 0; k < blocks; k++) {
    const o = value(offsets, k);
    const n = value(counts, k);
    if (!Number.isFinite(o) || !Number.isFinite(n)) throw bad(`${kind} offsets or byte counts have a non-integer type`);
    if (n === 0) continue; // sparse block (GDAL SPARSE_OK): read as zeros
    need(o, n, `${kind} ${k}`);
  }
  const subfileType = scalar(TAG.NewSubfileType, 0);
  return { width, height, tiled, blockWidth, blockHeight, blocks, subfileType, nextDirectory };
}

/**
 * Every directory of a TIFF, in file order, each checked as {@link checkTiffStructure} checks the
 * first; at most `max` (a loop of next-directory pointers ends the walk).
 * @throws EdgeError as checkTiffStructure, for any directory
 */
export function checkTiffDirectories(
  bytes: Uint8Array,
  ref: FrameRef,
  limits: DecodeLimits,
  max = 32,
): TiffBlockLayout[] {
  const out: TiffBlockLayout[] = [checkTiffStructure(bytes, ref, limits)];
  const seen = new Set<number>();
  for (let next = out[0]!.nextDirectory; next !== 0 && out.length < max && !seen.has(next);) {
    seen.add(next);
    const d = checkTiffStructure(bytes, ref, limits, next);
    out.push(d);
    next = d.nextDirectory;
  }
  return out;
}
