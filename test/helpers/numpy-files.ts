/**
 * Writing NumPy `.npz` archives (stored, with CRC-32) and real-image tensors for tests that feed
 * raw tensors to imported models, so no Python is needed at test time.
 */
import { writeFile } from 'node:fs/promises';
import { decodeFrame } from '../../sdk/sensors/codecs/decode.js';

function npyBytes(shape: number[], data: Float32Array): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    head,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Writes float32 arrays as an uncompressed `.npz` (what `np.savez` writes). */
export async function writeNpz(
  file: string,
  arrays: Record<string, { shape: number[]; data: Float32Array }>,
): Promise<void> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const body = npyBytes(a.shape, a.data);
    const fname = Buffer.from(`${name}.npy`);
    const crc = crc32(body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(body.length, 22);
    local.writeUInt16LE(fname.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(body.length, 24);
    central.writeUInt16LE(fname.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fname, body);
    centrals.push(central, fname);
    offset += 30 + fname.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(arrays).length, 8);
  end.writeUInt16LE(Object.keys(arrays).length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  await writeFile(file, Buffer.concat([...locals, dir, end]));
}

/**
 * `count` size×size RGB tiles of a real image, normalised as PP-OCR's detector expects
 * (ImageNet mean and std on [0, 1]), as one [count, 3, size, size] float32 array.
 */
export async function imageNetTiles(
  path: string,
  count: number,
  size: number,
): Promise<{ shape: number[]; data: Float32Array }> {
  const { raster } = await decodeFrame({ id: path, modality: 'optical', timestamp: 0, pixels: path });
  const { width, height } = raster;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float32Array(count * 3 * size * size);
  for (let k = 0; k < count; k++) {
    const x0 = Math.floor(((k + 0.5) / count) * (width - size));
    const y0 = Math.floor(((((k * 7) % count) + 0.5) / count) * (height - size));
    for (let c = 0; c < 3; c++) {
      const plane = raster.planes[c]!;
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          data[((k * 3 + c) * size + y) * size + x] =
            (Number(plane[(y0 + y) * width + x0 + x]) / 255 - mean[c]!) / std[c]!;
    }
  }
  return { shape: [count, 3, size, size], data };
}
