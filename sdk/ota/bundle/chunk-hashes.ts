/**
 * Per-chunk hashes of bundle files, listed in the signed bundle manifest so a device can verify each
 * chunk it receives over MQTT (where any client can answer its chunk requests) instead of learning
 * only at the end of a blob that some chunk was forged. A file of `size` bytes has
 * ⌈size / chunkBytes⌉ chunks; each hash is the first 128 bits (32 hex digits) of the chunk's sha256.
 * The chunk size grows with the bundle so the list stays under ~8192 entries.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex digits kept of each chunk's sha256 (128 bits: second preimages stay out of reach). */
export const CHUNK_HASH_HEX = 32;
/** Smallest and largest chunk sizes a manifest may declare. */
export const MIN_HASH_CHUNK_BYTES = 64 << 10;
export const MAX_HASH_CHUNK_BYTES = 1 << 20;

/** The chunk size for a bundle of `totalSize` bytes: a power of two, 128 KiB to 1 MiB. */
export function chunkBytesFor(totalSize: number): number {
  let bytes = 128 << 10;
  while (bytes < MAX_HASH_CHUNK_BYTES && totalSize / bytes > 8192) bytes *= 2;
  return bytes;
}

/** The listed hash of one chunk. */
export function chunkHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, CHUNK_HASH_HEX);
}

/** Number of chunks of a file of `size` bytes. */
export function chunkCount(size: number, chunkBytes: number): number {
  return Math.ceil(size / chunkBytes);
}

/**
 * The chunk hashes of a file, read in one pass.
 * @example
 * const chunks = await chunkHashesOfFile('pkg/weights/trunk.bin', 131072);
 */
export async function chunkHashesOfFile(path: string, chunkBytes: number): Promise<string[]> {
  const out: string[] = [];
  let hash = createHash('sha256');
  let filled = 0;
  for await (const piece of createReadStream(path, { highWaterMark: 64 << 10 }) as AsyncIterable<Buffer>) {
    let at = 0;
    while (at < piece.length) {
      const take = Math.min(piece.length - at, chunkBytes - filled);
      hash.update(piece.subarray(at, at + take));
      filled += take;
      at += take;
      if (filled === chunkBytes) {
        out.push(hash.digest('hex').slice(0, CHUNK_HASH_HEX));
        hash = createHash('sha256');
        filled = 0;
      }
    }
  }
  if (filled > 0) out.push(hash.digest('hex').slice(0, CHUNK_HASH_HEX));
  return out;
}
