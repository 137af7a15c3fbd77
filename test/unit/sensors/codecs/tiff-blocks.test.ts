/**
 * The block copy of full-resolution TIFF reads (tiff-blocks.ts) against geotiff.js's readRasters,
 * the reader it replaces for common layouts: the planes must be the same, sample for sample and of
 * the same array type, on the real files and on generated layouts (every copied sample type,
 * pixel- and band-interleaved, strips and edge-cut tiles, every copied compression, predictors);
 * other layouts must be left to readRasters, and blocks that decode short must fail as readRasters
 * fails.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fromArrayBuffer } from 'geotiff';
import sharp from 'sharp';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { encodeGeoTiff } from '../../../../sdk/sensors/codecs/geotiff-encode.js';
import { readBlocks } from '../../../../sdk/sensors/codecs/tiff-blocks.js';
import { ensureBoundedTiffCodecs } from '../../../../sdk/sensors/codecs/tiff-codecs.js';
import { readTiffHeader } from '../../../../sdk/sensors/codecs/tiff-header.js';
import { allocPlane, type PlaneArray, type Raster, type RasterDType } from '../../../../sdk/sensors/raster.js';
import { createRng } from '../../../../sdk/sensors/synthetic/rng.js';
import { GENERATED, REAL, SHARED_ONLY, frameOf } from '../../../fixtures/frames/index.js';
import { sharedData } from '../../../helpers/shared-data.js';

const REF = { id: 'tiff-blocks' };

/** readBlocks of the file's first image. */
async function copiedRead(bytes: Uint8Array): Promise<PlaneArray[] | undefined> {
  await ensureBoundedTiffCodecs();
  const image = await (await fromArrayBuffer(new Uint8Array(bytes).buffer)).getImage(0);
  return readBlocks(image, await readTiffHeader(image, REF));
}

async function assertSameRead(t: import('ava').ExecutionContext, bytes: Uint8Array, what: string): Promise<void> {
  const copied = await copiedRead(bytes);
  const image = await (await fromArrayBuffer(new Uint8Array(bytes).buffer)).getImage(0);
  const read = Array.from((await image.readRasters({ interleave: false })) as unknown as PlaneArray[]);
  if (!copied) return void t.fail(`${what}: not copied`);
  t.is(copied.length, read.length, what);
  copied.forEach((p, s) => {
    const r = read[s]!;
    t.is(p.constructor, r.constructor, `${what}, band ${s + 1}`);
    t.true(p.length === r.length && p.every((v, i) => Object.is(v, r[i])), `${what}, band ${s + 1}`);
  });
}

test('real files: Landsat-7 Olinda, its DEM, the generated uint16 and NaN fixtures read the same as readRasters', async (t) => {
  for (const path of [REAL.olinda, REAL.olindaDem, GENERATED.ms16, GENERATED.floatNan, REAL.landcover])
    await assertSameRead(t, new Uint8Array(readFileSync(path)), path);
});

test('real files: the Landsat-5 Ethiopia stacks read the same as readRasters [../shared/data]', async (t) => {
  const paths = [SHARED_ONLY.ethiopia2000, SHARED_ONLY.ethiopia2010].map((p) => sharedData(p));
  if (paths.some((p) => !p)) {
    t.log('SKIPPED: the Landsat-5 Ethiopia stacks are not under ../shared/data');
    return t.pass();
  }
  for (const path of paths) await assertSameRead(t, new Uint8Array(readFileSync(path!)), path!);
});

test('every copied sample type, pixel- and band-interleaved, strips and edge-cut tiles, none and Deflate', async (t) => {
  const rng = createRng(29);
  const w = 45;
  const h = 37;
  const ranges: Partial<Record<RasterDType, [number, number]>> = {
    uint8: [0, 255],
    int8: [-128, 127],
    uint16: [0, 65535],
    int16: [-32768, 32767],
    uint32: [0, 4294967295],
    int32: [-2147483648, 2147483647],
    float32: [-1e6, 1e6],
    float64: [-1e12, 1e12],
  };
  for (const [dtype, [lo, hi]] of Object.entries(ranges) as [RasterDType, [number, number]][]) {
    const planes = [0, 1, 2].map(() => {
      const p = allocPlane(dtype, w * h);
      for (let i = 0; i < p.length; i++) {
        const v = lo + rng.next() * (hi - lo);
        p[i] = dtype.startsWith('float') ? v : Math.floor(v);
      }
      return p;
    });
    if (dtype === 'float32') planes[1]![7] = NaN;
    const raster: Raster = { width: w, height: h, dtype, complex: false, planes };
    for (const planar of [1, 2] as const)
      for (const tileSize of [undefined, 16])
        for (const compression of ['none', 'deflate'] as const)
          await assertSameRead(
            t,
            encodeGeoTiff(raster, { planar, compression, ...(tileSize ? { tileSize } : {}) }),
            `${dtype} planar ${planar} ${tileSize ? 'tiles' : 'strips'} ${compression}`,
          );
  }
});

test('LZW, PackBits and Deflate blocks with and without the horizontal predictor, 8 and 16 bits', async (t) => {
  const src = await sharp(REAL.aero3).extract({ left: 100, top: 80, width: 200, height: 150 }).toBuffer();
  for (const compression of ['lzw', 'packbits', 'deflate', 'none'] as const) {
    for (const predictor of ['none', 'horizontal'] as const) {
      for (const tile of [false, true]) {
        for (const bits of [8, 16]) {
          const p = compression === 'lzw' || compression === 'deflate' ? predictor : 'none';
          const image = bits === 16 ? sharp(src).toColourspace('rgb16') : sharp(src);
          const tif = await image.tiff({ compression, predictor: p, tile, tileWidth: 64, tileHeight: 64 }).toBuffer();
          await assertSameRead(t, new Uint8Array(tif), `${compression} ${p} ${tile ? 'tiles' : 'strips'} ${bits}-bit`);
        }
      }
    }
  }
});

test('a complex header and JPEG-compressed TIFFs are left to readRasters', async (t) => {
  // Complex images are copied only once decode-tiff has re-described them as real samples (the
  // round trip of every complex type in decode.test.ts checks those planes against the source).
  t.is(await copiedRead(new Uint8Array(readFileSync(GENERATED.quadpol))), undefined, 'complex');
  const src = await sharp(REAL.aero3).extract({ left: 0, top: 0, width: 64, height: 48 }).toBuffer();
  const jpeg = await sharp(src).tiff({ compression: 'jpeg' }).toBuffer();
  t.is(await copiedRead(new Uint8Array(jpeg)), undefined, 'JPEG');
});

test('EXPECTED FAILURE - a strip that decodes short is refused as corrupt, as readRasters refuses it', async (t) => {
  const raster: Raster = {
    width: 40,
    height: 30,
    dtype: 'uint16',
    complex: false,
    planes: [new Uint16Array(1200).fill(7), new Uint16Array(1200).fill(9)],
  };
  const bytes = encodeGeoTiff(raster);
  // The one strip's byte count (tag 279, a LONG) cut by 10 bytes: its last pixels are missing.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = view.getUint16(view.getUint32(4, true), true);
  let patched = false;
  for (let k = 0; k < entries; k++) {
    const at = view.getUint32(4, true) + 2 + 12 * k;
    if (view.getUint16(at, true) !== 279) continue;
    t.is(view.getUint32(at + 4, true), 1, 'one strip');
    view.setUint32(at + 8, view.getUint32(at + 8, true) - 10, true);
    patched = true;
  }
  t.true(patched);
  await ensureBoundedTiffCodecs();
  const image = await (await fromArrayBuffer(new Uint8Array(bytes).buffer)).getImage(0);
  await t.throwsAsync(image.readRasters({ interleave: false }), { instanceOf: RangeError });
  await t.throwsAsync(readBlocks(image, await readTiffHeader(image, REF)), { instanceOf: RangeError });
  const e = await t.throwsAsync(decodeFrame(frameOf(bytes, 'multispectral')));
  t.is((e as { code?: string }).code, 'E_FRAME_DECODE');
});
