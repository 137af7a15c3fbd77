import test from 'ava';
import { readFileSync } from 'node:fs';
import { fromFile } from 'geotiff';
import sharp from 'sharp';
import { decodeFrame, sniffFormat } from '../../../../sdk/sensors/codecs/decode.js';
import { encodeGeoTiff } from '../../../../sdk/sensors/codecs/geotiff-encode.js';
import { allocPlane, isComplexDType, type RasterDType } from '../../../../sdk/sensors/raster.js';
import { GENERATED, REAL, frameOf } from '../../../fixtures/frames/index.js';

test('Landsat-7 Olinda GeoTIFF: 6 uint8 bands equal to an independent geotiff.js read', async (t) => {
  const d = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
  t.is(d.format, 'tiff');
  t.is(d.raster.dtype, 'uint8');
  t.is(d.raster.planes.length, 6);
  t.deepEqual([d.raster.width, d.raster.height], [349, 352]);
  const tiff = await fromFile(REAL.olinda);
  const ref = (await (await tiff.getImage()).readRasters()) as unknown as Uint8Array[];
  await tiff.close();
  for (let b = 0; b < 6; b++) t.deepEqual(Array.from(d.raster.planes[b]!), Array.from(ref[b]!), `band ${b + 1}`);
});

test('DEM float32 GeoTIFF keeps float samples', async (t) => {
  const d = await decodeFrame(frameOf(REAL.olindaDem, 'sar-l2'));
  t.is(d.raster.dtype, 'float32');
  t.true(d.raster.planes[0] instanceof Float32Array);
  t.deepEqual([d.raster.width, d.raster.height], [111, 111]);
});

test('JPEG, gray PNG and the Blue Marble decode through sharp with their channel counts', async (t) => {
  const jpeg = await decodeFrame(frameOf(readFileSync(REAL.aero1), 'optical'));
  t.is(jpeg.format, 'jpeg');
  t.is(jpeg.raster.planes.length, 3);
  const ref = await sharp(REAL.aero1).raw().toBuffer();
  t.is(jpeg.raster.planes[1]![1000], ref[1000 * 3 + 1]);
  const gray = await decodeFrame(frameOf(REAL.aeroGray, 'optical'));
  t.is(gray.raster.planes.length, 1);
  t.deepEqual([gray.raster.width, gray.raster.height], [512, 512]);
  const marble = await decodeFrame(frameOf(REAL.blueMarble, 'optical'));
  t.deepEqual([marble.raster.width, marble.raster.height, marble.raster.planes.length], [2700, 1350, 3]);
});

test('16-bit PNG keeps 16-bit samples; alpha becomes the no-data mask', async (t) => {
  const g = await decodeFrame(frameOf(GENERATED.gray16Png, 'optical'));
  t.is(g.raster.dtype, 'uint16');
  t.is(g.raster.planes.length, 1);
  t.is(g.raster.planes[0]![5 * 32 + 7], 1000 + 100 * 7 + 5);
  const a = await decodeFrame(frameOf(GENERATED.rgbaPng, 'optical'));
  t.is(a.raster.planes.length, 3);
  t.is(
    a.alphaNoData!.reduce((s, v) => s + v, 0),
    30 * 10,
  );
  t.is(a.alphaNoData![9], 1);
  t.is(a.alphaNoData![10], 0);
});

test('palette TIFF: expanded to RGB for frames, or kept as class indices', async (t) => {
  const rgb = await decodeFrame(frameOf(REAL.landcover, 'optical'));
  t.is(rgb.raster.planes.length, 3);
  const idx = await decodeFrame(frameOf(REAL.landcover, 'optical'), { expandPalette: false });
  t.true(idx.palette);
  t.is(idx.raster.planes.length, 1);
  t.true(Math.max(...idx.raster.planes[0]!) > 0);
});

test('TIFF codecs (LZW, PackBits, Deflate, with/without predictor, strips/tiles) decode exactly; JPEG-in-TIFF within 1 of libvips', async (t) => {
  const src = await sharp(REAL.aero3).extract({ left: 100, top: 80, width: 200, height: 150 }).toBuffer();
  const ref = await sharp(src).raw().toBuffer();
  for (const compression of ['lzw', 'packbits', 'deflate', 'none'] as const) {
    for (const predictor of ['none', 'horizontal'] as const) {
      for (const tile of [false, true]) {
        const tif = await sharp(src)
          .tiff({
            compression,
            predictor: compression === 'lzw' || compression === 'deflate' ? predictor : 'none',
            tile,
            tileWidth: 64,
            tileHeight: 64,
          })
          .toBuffer();
        const d = await decodeFrame(frameOf(tif, 'optical'));
        let diff = 0;
        for (let i = 0; i < 200 * 150; i++)
          for (let c = 0; c < 3; c++) diff = Math.max(diff, Math.abs(d.raster.planes[c]![i]! - ref[i * 3 + c]!));
        t.is(diff, 0, `${compression} ${predictor} tile=${tile}`);
      }
    }
  }
  const jpegTif = await sharp(src).tiff({ compression: 'jpeg', quality: 90 }).toBuffer();
  const jref = await sharp(jpegTif).raw().toBuffer();
  const j = await decodeFrame(frameOf(jpegTif, 'optical'));
  let jdiff = 0;
  for (let i = 0; i < 200 * 150; i++)
    for (let c = 0; c < 3; c++) jdiff = Math.max(jdiff, Math.abs(j.raster.planes[c]![i]! - jref[i * 3 + c]!));
  t.true(jdiff <= 1, `JPEG-in-TIFF differs from libvips by ${jdiff}`);
});

test('every sample type incl. complex round-trips through GeoTIFF (pixel/band interleaved, strips/tiles, Deflate)', async (t) => {
  const w = 37;
  const h = 23;
  const dtypes: RasterDType[] = [
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
  ];
  for (const dtype of dtypes) {
    const complex = isComplexDType(dtype);
    const planes = Array.from({ length: complex ? 6 : 3 }, (_, p) => {
      const a = allocPlane(dtype, w * h);
      for (let i = 0; i < w * h; i++) a[i] = ((i * 7 + p * 13) % 100) - (dtype.startsWith('u') ? 0 : 50);
      return a;
    });
    for (const planar of [1, 2] as const) {
      for (const tileSize of [undefined, 16]) {
        const bytes = encodeGeoTiff(
          { width: w, height: h, dtype, complex, planes },
          { planar, ...(tileSize ? { tileSize } : {}), compression: 'deflate' },
        );
        const d = await decodeFrame(frameOf(bytes, 'sar-l1'));
        t.is(d.raster.dtype, dtype);
        t.is(d.raster.complex, complex);
        t.deepEqual(
          d.raster.planes.map((p) => Array.from(p)),
          planes.map((p) => Array.from(p)),
          `${dtype} planar=${planar} tile=${tileSize}`,
        );
      }
    }
  }
});

test('raw pixels: chw is viewed, hwc and complex are split into planes', async (t) => {
  const hwc = Uint16Array.from({ length: 4 * 3 * 2 }, (_, i) => i);
  const d = await decodeFrame(
    frameOf({ data: hwc, width: 4, height: 3, bands: 2, dtype: 'uint16', layout: 'hwc' }, 'multispectral'),
  );
  t.deepEqual(Array.from(d.raster.planes[1]!), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]);
  const chw = Float32Array.from({ length: 2 * 6 }, (_, i) => i);
  const c = await decodeFrame(
    frameOf({ data: chw, width: 3, height: 2, bands: 2, dtype: 'float32', layout: 'chw' }, 'multispectral'),
  );
  t.is(c.raster.planes[1]!.buffer, chw.buffer);
  const cx = Float32Array.from({ length: 2 * 2 * 2 }, (_, i) => i);
  const z = await decodeFrame(
    frameOf({ data: cx, width: 2, height: 1, bands: 2, dtype: 'complex64', layout: 'chw' }, 'sar-l1'),
  );
  t.deepEqual(
    z.raster.planes.map((p) => Array.from(p)),
    [
      [0, 2],
      [1, 3],
      [4, 6],
      [5, 7],
    ],
  );
});

test('format sniffing looks at bytes, not names', (t) => {
  t.is(sniffFormat(readFileSync(REAL.aero1)), 'jpeg');
  t.is(sniffFormat(readFileSync(REAL.aeroGray)), 'png');
  t.is(sniffFormat(readFileSync(REAL.olinda)), 'tiff');
  t.is(sniffFormat(new Uint8Array([0x47, 0x49, 0x46, 0x38])), undefined);
});

test('EXPECTED FAILURE - unsupported formats, missing files and bad raw arrays name the frame', async (t) => {
  const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } })
    .gif()
    .toBuffer();
  const e1 = await t.throwsAsync(decodeFrame(frameOf(gif, 'optical', { id: 'cam-7' })));
  t.is((e1 as { code?: string }).code, 'E_FRAME_DECODE');
  t.regex(e1!.message, /frame "cam-7": unsupported or unrecognised format/);
  const e2 = await t.throwsAsync(decodeFrame(frameOf('no/such/file.tif', 'optical')));
  t.is((e2 as { code?: string }).code, 'E_FRAME_DECODE');
  t.is((e2 as { file?: string }).file, 'no/such/file.tif');
  const e3 = await t.throwsAsync(
    decodeFrame(
      frameOf({ data: new Uint8Array(11), width: 4, height: 3, bands: 1, dtype: 'uint8', layout: 'chw' }, 'optical'),
    ),
  );
  t.is((e3 as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(e3!.message, /11 elements but 4×3×1 = 12/);
  const e4 = await t.throwsAsync(
    decodeFrame(
      frameOf({ data: new Float32Array(12), width: 4, height: 3, bands: 1, dtype: 'uint16', layout: 'chw' }, 'optical'),
    ),
  );
  t.regex(e4!.message, /Float32Array but dtype uint16 needs a Uint16Array/);
});

test('EXPECTED FAILURE - a header claiming gigapixels is refused before allocation', async (t) => {
  // 60000 × 60000 × 4 bands of float64 in a 300-byte file.
  const tif = encodeGeoTiff({
    width: 2,
    height: 2,
    dtype: 'float64',
    complex: false,
    planes: [new Float64Array(4), new Float64Array(4), new Float64Array(4), new Float64Array(4)],
  });
  const dv = new DataView(tif.buffer, tif.byteOffset);
  const n = dv.getUint16(8, true);
  for (let k = 0; k < n; k++) {
    const o = 10 + k * 12;
    const tag = dv.getUint16(o, true);
    if (tag === 256 || tag === 257) dv.setUint32(o + 8, 60000, true);
  }
  const before = process.memoryUsage().arrayBuffers;
  const err = await t.throwsAsync(decodeFrame(frameOf(tif, 'multispectral', { id: 'bomb' })));
  t.is((err as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(err!.message, /frame "bomb": image is 60000×60000/);
  t.true(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
  const png = await pngClaiming(50_000, 50_000);
  const e2 = await t.throwsAsync(decodeFrame(frameOf(png, 'optical', { id: 'png-bomb' })));
  t.is((e2 as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(e2!.message, /frame "png-bomb": image is 50000×50000 = 2500000000 pixels, over the 100000000-pixel limit/);
  const small = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const e3 = await t.throwsAsync(decodeFrame(frameOf(small, 'optical'), { limits: { maxPixels: 1_000_000 } }));
  t.is((e3 as { code?: string }).code, 'E_FRAME_INVALID');
});

/** A valid 1×1 PNG whose IHDR claims `w × h` (CRC recomputed, so only the size is a lie). */
async function pngClaiming(w: number, h: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(w, 16);
  png.writeUInt32BE(h, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
