/**
 * Fuzzing the frame path with thousands of malformed frames: mutations of real files (JPEG, PNG,
 * WebP, TIFF in five codecs, complex GeoTIFF) and synthetic bad raw arrays. Every frame must end in a
 * result or an EdgeError E_FRAME_DECODE / E_FRAME_INVALID — never another error, never a crash — and
 * the mutations that make a frame certainly unusable must all be refused. Heap and array-buffer use
 * must stay flat across the run.
 */
import test from 'ava';
import sharp from 'sharp';
import { encodeGeoTiff } from '../../../../sdk/sensors/codecs/geotiff-encode.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { createRng, type Rng } from '../../../../sdk/sensors/synthetic/rng.js';
import type { Frame, RasterPixels } from '../../../../sdk/sensors/frame.js';
import { GENERATED, REAL, frameOf } from '../../../fixtures/frames/index.js';
import { xorByte } from '../../../helpers/bytes.js';
import { settledMemory as memory } from '../../../helpers/settled-memory.js';

interface Seed {
  name: string;
  bytes: Uint8Array;
  modality: Frame['modality'];
  tiff: boolean;
}

async function seeds(): Promise<Seed[]> {
  const crop = await sharp(REAL.aero1).extract({ left: 200, top: 150, width: 64, height: 48 }).toBuffer();
  const out: Seed[] = [
    { name: 'jpeg', bytes: await sharp(crop).jpeg().toBuffer(), modality: 'optical', tiff: false },
    { name: 'png', bytes: await sharp(crop).png().toBuffer(), modality: 'optical', tiff: false },
    { name: 'webp', bytes: await sharp(crop).webp().toBuffer(), modality: 'optical', tiff: false },
    { name: 'png16', bytes: await sharp(GENERATED.gray16Png).toBuffer(), modality: 'sar-l2', tiff: false },
  ];
  for (const compression of ['lzw', 'deflate', 'packbits', 'none', 'jpeg'] as const) {
    out.push({
      name: `tiff-${compression}`,
      bytes: await sharp(crop)
        .tiff({ compression, ...(compression === 'lzw' ? { predictor: 'horizontal' as const } : {}) })
        .toBuffer(),
      modality: 'optical',
      tiff: true,
    });
  }
  const olinda = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
  const planes = olinda.raster.planes.map((p) => {
    const c = new Uint8Array(48 * 40);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 48; x++) c[y * 48 + x] = p[(100 + y) * 349 + 100 + x]!;
    return c;
  });
  const crop6 = { width: 48, height: 40, dtype: 'uint8' as const, complex: false, planes };
  out.push({
    name: 'geotiff-6band',
    bytes: encodeGeoTiff(crop6, { georef: olinda.georef!, compression: 'deflate' }),
    modality: 'multispectral',
    tiff: true,
  });
  out.push({
    name: 'geotiff-6band-raw-tiled',
    bytes: encodeGeoTiff(crop6, { georef: olinda.georef!, tileSize: 16, planar: 2 }),
    modality: 'multispectral',
    tiff: true,
  });
  const qp = await decodeFrame(frameOf(GENERATED.quadpol, 'sar-l1'));
  out.push({
    name: 'geotiff-complex64',
    bytes: encodeGeoTiff(qp.raster, { planar: 1 }),
    modality: 'sar-l1',
    tiff: true,
  });
  return out;
}

/** Sets every IFD entry with `tag` to `value` (first IFD of a little- or big-endian classic TIFF). */
function setTag(src: Uint8Array, tag: number, value: number): Uint8Array {
  const b = new Uint8Array(src);
  const dv = new DataView(b.buffer);
  const le = b[0] === 0x49;
  const ifd = dv.getUint32(4, le);
  const n = dv.getUint16(ifd, le);
  for (let k = 0; k < n; k++) {
    const o = ifd + 2 + k * 12;
    if (dv.getUint16(o, le) !== tag) continue;
    const type = dv.getUint16(o + 2, le);
    dv.setUint32(o + 4, 1, le); // one value, stored inline
    if (type === 3) dv.setUint16(o + 8, value, le);
    else dv.setUint32(o + 8, value, le);
  }
  return b;
}

/** Mutations after which no correct decoder may accept the frame. */
function certainlyBroken(seed: Seed, rng: Rng): { what: string; bytes: Uint8Array } {
  const b = seed.bytes;
  const pick = rng.int(0, seed.tiff ? 9 : 3);
  switch (pick) {
    case 0: {
      const c = new Uint8Array(b);
      xorByte(c, rng.int(0, 1), 0xff); // magic bytes
      return { what: 'magic', bytes: c };
    }
    case 1:
      return { what: 'header-truncated', bytes: b.subarray(0, rng.int(0, 24)) };
    case 2:
      return { what: 'truncated', bytes: b.subarray(0, rng.int(25, Math.floor(b.length * 0.9))) };
    case 3: {
      const c = new Uint8Array(b.length);
      for (let i = 0; i < c.length; i++) c[i] = rng.int(0, 255);
      return { what: 'random-bytes', bytes: c };
    }
    case 4:
      return { what: 'width-0', bytes: setTag(b, 256, 0) };
    case 5:
      return {
        what: 'huge-dimensions',
        bytes: setTag(setTag(b, 256, rng.int(70_000, 2 ** 31)), 257, rng.int(70_000, 2 ** 31)),
      };
    case 6:
      return { what: 'bits-per-sample', bytes: setTag(b, 258, [3, 7, 12, 0][rng.int(0, 3)]!) };
    case 7:
      return { what: 'compression', bytes: setTag(b, 259, [2, 6, 34887, 50000, 50001, 9][rng.int(0, 5)]!) };
    case 8:
      return {
        what: 'strip-offsets',
        bytes: setTag(setTag(b, 273, b.length + rng.int(1, 1e6)), 324, b.length + rng.int(1, 1e6)),
      };
    default:
      return { what: 'sample-format', bytes: setTag(b, 339, [4, 7, 0][rng.int(0, 2)]!) };
  }
}

/** Mutations that may or may not leave a decodable frame. */
function maybeBroken(seed: Seed, rng: Rng): Uint8Array {
  const c = new Uint8Array(seed.bytes);
  const flips = rng.int(1, 8);
  for (let k = 0; k < flips; k++) xorByte(c, rng.int(8, c.length - 1), 1 << rng.int(0, 7));
  if (rng.next() < 0.2) c[rng.int(8, c.length - 1)] = rng.int(0, 255);
  return c;
}

/** Synthetic raw frames that are certainly malformed. */
function badRaw(rng: Rng): { what: string; frame: Frame } {
  const w = rng.int(1, 40);
  const h = rng.int(1, 40);
  const good = (): RasterPixels => ({
    data: new Float32Array(w * h).fill(1),
    width: w,
    height: h,
    bands: 1,
    dtype: 'float32',
    layout: 'chw',
  });
  const pick = rng.int(0, 7);
  const px = good();
  let modality: Frame['modality'] = 'sar-l2';
  let what: string;
  switch (pick) {
    case 0:
      px.data = new Float32Array(w * h + rng.int(1, 5));
      what = 'length';
      break;
    case 1:
      (px.data as Float32Array)[rng.int(0, w * h - 1)] = NaN;
      what = 'nan';
      break;
    case 2:
      (px.data as Float32Array)[rng.int(0, w * h - 1)] = rng.next() < 0.5 ? Infinity : -Infinity;
      what = 'inf';
      break;
    case 3:
      px.width = 0;
      what = 'zero-width';
      break;
    case 4:
      px.width = 1_000_000;
      px.height = 1_000_000;
      what = 'huge';
      break;
    case 5:
      px.data = new Uint8Array(w * h);
      what = 'dtype-class';
      break;
    case 6:
      modality = 'multispectral';
      what = 'bands-for-modality';
      break;
    default:
      px.dtype = 'uint8';
      px.data = new Uint8Array(w * h);
      modality = 'sar-l1';
      what = 'dtype-for-modality';
      break;
  }
  return { what, frame: frameOf(px, modality, { id: `raw-${what}` }) };
}

function isFrameError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    (err as Error).name === 'EdgeError' &&
    (code === 'E_FRAME_DECODE' || code === 'E_FRAME_INVALID') &&
    /frame "/.test((err as Error).message)
  );
}

/** The 6-band Landsat-7 seeds say their sensor, so bit flips reach band selection rather than the refusal of unknown band meaning. */
const sensorOf = (modality: string): Partial<Frame> => (modality === 'multispectral' ? { sensor: 'landsat7-etm' } : {});

test('thousands of malformed frames: every one refused with E_FRAME_DECODE/E_FRAME_INVALID, heap flat', async (t) => {
  const rng = createRng(20240601);
  const corpus = await seeds();
  const options = { inputSize: 16 } as const;
  const counts = { broken: 0, brokenRefused: 0, maybe: 0, maybeRefused: 0, maybeDecoded: 0, raw: 0 };
  const wrong: string[] = [];
  const accepted: string[] = [];
  let baseline = 0;
  const total = 4200;
  for (let k = 0; k < total; k++) {
    if (k === 400) baseline = await memory();
    const seed = corpus[k % corpus.length]!;
    const kind = k % 3;
    let frame: Frame;
    let label: string;
    if (kind === 0) {
      const m = certainlyBroken(seed, rng);
      frame = frameOf(m.bytes, seed.modality, { id: `${seed.name}-${m.what}-${k}`, ...sensorOf(seed.modality) });
      label = `${seed.name}/${m.what}`;
      counts.broken++;
    } else if (kind === 1) {
      frame = frameOf(maybeBroken(seed, rng), seed.modality, {
        id: `${seed.name}-flip-${k}`,
        ...sensorOf(seed.modality),
      });
      label = `${seed.name}/flip`;
      counts.maybe++;
    } else {
      const r = badRaw(rng);
      frame = r.frame;
      label = `raw/${r.what}`;
      counts.raw++;
    }
    try {
      const pre = await preprocessFrame(frame, options);
      if (kind !== 1) accepted.push(label);
      else {
        counts.maybeDecoded++;
        if (!pre.batches.every((b) => b.data.every(Number.isFinite))) wrong.push(`${label}: non-finite tensor`);
      }
    } catch (err) {
      if (!isFrameError(err))
        wrong.push(
          `${label}: ${(err as Error).name} ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`,
        );
      else if (kind === 0) counts.brokenRefused++;
      else if (kind === 1) counts.maybeRefused++;
    }
  }
  const growth = (await memory()) - baseline;
  t.log(
    `${total} frames: ${counts.broken} certainly broken (${counts.brokenRefused} refused), ${counts.raw} bad raw arrays, ${counts.maybe} bit-flipped (${counts.maybeRefused} refused, ${counts.maybeDecoded} still decodable); heap+buffers growth after warm-up ${(growth / 1048576).toFixed(1)} MiB`,
  );
  t.deepEqual(wrong, [], 'only frame errors, only finite tensors');
  t.deepEqual(accepted, [], 'certainly broken frames are never accepted');
  t.is(counts.brokenRefused, counts.broken);
  t.true(growth < 24 * 1024 * 1024, `memory grew by ${(growth / 1048576).toFixed(1)} MiB`);
});
