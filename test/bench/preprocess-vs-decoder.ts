/**
 * Benchmark (issue 13 §2): `preprocessFrame` against the direct decoder it wraps, in the same run,
 * interleaved rounds, medians; goal ≤ 1.3×.
 *
 * (a) the real 640×480 aerial JPEG (aero1) → 192×192 optical tensor, against sharp decode + resize
 *     to 192×192 (linear kernel) + one normalise loop (HWC uint8 → CHW float32, ImageNet mean/std);
 * (b) the real Landsat-7 Olinda GeoTIFF (349×352×6, uint8) → 192×192 multispectral tensor, against
 *     geotiff.js readRasters at 192×192 (its bilinear resampling) + a min-max-to-8-bit and
 *     mean/std normalise loop over the four bands;
 * (c) a GENERATED 512×512 quad-pol SAR-L1 scene (complex64 GeoTIFF) → 192×192 8-channel tensor,
 *     against geotiff.js readRasters of the same file read as 8 float32 samples per pixel at
 *     192×192 + the span-clip loop.
 * Every input is held in memory as encoded bytes; both sides decode them each round.
 *
 * usage: npx tsx test/bench/preprocess-vs-decoder.ts [--rounds 31]
 * (also `npm run bench -- preprocess-vs-decoder`)
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { fromArrayBuffer } from 'geotiff';
import sharp from 'sharp';
import { encodeGeoTiff } from '../../sdk/sensors/codecs/geotiff-encode.js';
import { preprocessFrame } from '../../sdk/sensors/preprocess/preprocess.js';
import { generateQuadPolScene } from '../../sdk/sensors/synthetic/sar-quadpol.js';
import type { Frame } from '../../sdk/sensors/frame.js';
import { REAL } from '../fixtures/frames/index.js';
import { interleave, median, type Bench, type BenchResult } from './harness.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const ROUNDS = Number(arg('rounds', '31'));
const SIZE = 192;
const MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255, 0.406 * 255];
const STD = [0.229 * 255, 0.224 * 255, 0.225 * 255, 0.225 * 255];

/** (a) sharp decode + resize in libvips, then one pass HWC uint8 → CHW float32. */
async function directJpeg(bytes: Uint8Array): Promise<Float32Array> {
  const { data, info } = await sharp(bytes)
    .resize(SIZE, SIZE, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const n = SIZE * SIZE;
  const c = info.channels;
  const out = new Float32Array(3 * n);
  for (let k = 0; k < 3; k++) {
    const m = MEAN[k]!;
    const s = STD[k]!;
    for (let i = 0, o = k; i < n; i++, o += c) out[k * n + i] = (data[o]! - m) / s;
  }
  return out;
}

/** Planes of a TIFF read by geotiff.js at SIZE × SIZE (its own bilinear resampling). */
async function readAtSize(bytes: Uint8Array): Promise<ArrayLike<number>[]> {
  const tiff = await fromArrayBuffer(bytes.slice().buffer);
  const image = await tiff.getImage(0);
  const read = await image.readRasters({ width: SIZE, height: SIZE, resampleMethod: 'bilinear', interleave: false });
  return Array.from(read as unknown as ArrayLike<number>[]);
}

/** (b) geotiff.js read + min-max to 8 bit + mean/std over bands 1-4 (B, G, R, NIR). */
async function directMultiband(bytes: Uint8Array): Promise<Float32Array> {
  const planes = await readAtSize(bytes);
  const n = SIZE * SIZE;
  const out = new Float32Array(4 * n);
  for (let k = 0; k < 4; k++) {
    const p = planes[k]!;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = p[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const g = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < n; i++) out[k * n + i] = ((p[i]! - lo) * g - MEAN[k]!) / STD[k]!;
  }
  return out;
}

/** (c) geotiff.js read of the re/im samples + span clip (scattering vectors with span > 1 scaled to 1). */
async function directSarL1(bytes: Uint8Array): Promise<Float32Array> {
  const planes = await readAtSize(bytes);
  const n = SIZE * SIZE;
  const out = new Float32Array(8 * n);
  for (let i = 0; i < n; i++) {
    let span = 0;
    for (let k = 0; k < 8; k++) span += planes[k]![i]! ** 2;
    const g = span > 1 ? 1 / Math.sqrt(span) : 1;
    for (let k = 0; k < 8; k++) out[k * n + i] = planes[k]![i]! * g;
  }
  return out;
}

/** The generated quad-pol scene twice: as complex64 (for the SDK) and as 8 float32 samples (for geotiff.js). */
function quadPolFiles(): { complex: Uint8Array; pairs: Uint8Array } {
  const scene = generateQuadPolScene({ width: 512, height: 512, seed: 13 });
  const complex = encodeGeoTiff(scene.raster, { georef: scene.georef, tileSize: 256 });
  const pairs = encodeGeoTiff(
    { ...scene.raster, dtype: 'float32', complex: false },
    { georef: scene.georef, tileSize: 256 },
  );
  return { complex, pairs };
}

async function compare(
  name: string,
  label: string,
  sdk: () => Promise<unknown>,
  direct: () => Promise<unknown>,
  log: (l: string) => void,
): Promise<BenchResult> {
  const samples = await interleave({ sdk, direct }, ROUNDS, 3);
  const s = median(samples.sdk!);
  const d = median(samples.direct!);
  log(`${label}: preprocessFrame ${s.toFixed(2)} ms, direct ${d.toFixed(2)} ms (${ROUNDS} rounds, medians)`);
  return {
    name,
    ratio: { label: `preprocessFrame / direct decoder, ${label}`, value: s / d, goal: '≤ 1.3' },
    metrics: { sdkMs: Number(s.toFixed(3)), directMs: Number(d.toFixed(3)), rounds: ROUNDS },
  };
}

export const bench: Bench = {
  name: 'preprocess-vs-decoder',
  description: `preprocessFrame vs the direct decoder + normalise, to ${SIZE}×${SIZE}: optical JPEG, multiband GeoTIFF, SAR-L1`,
  async run(log) {
    const jpeg = new Uint8Array(readFileSync(REAL.aero1));
    const olinda = new Uint8Array(readFileSync(REAL.olinda));
    const quad = quadPolFiles();
    const frame = (modality: Frame['modality'], pixels: Uint8Array, sensor?: string): Frame => ({
      id: 'bench',
      modality,
      timestamp: 0,
      pixels,
      ...(sensor ? { sensor } : {}),
    });
    return [
      await compare(
        'preprocess-vs-decoder/optical-jpeg',
        'aero1 640×480 JPEG → optical',
        () => preprocessFrame(frame('optical', jpeg), { inputSize: SIZE }),
        () => directJpeg(jpeg),
        log,
      ),
      await compare(
        'preprocess-vs-decoder/multiband-geotiff',
        'Landsat-7 Olinda 349×352×6 GeoTIFF → multispectral',
        () => preprocessFrame(frame('multispectral', olinda, 'landsat7-etm'), { inputSize: SIZE }),
        () => directMultiband(olinda),
        log,
      ),
      await compare(
        'preprocess-vs-decoder/sar-l1',
        'generated 512×512 quad-pol complex64 GeoTIFF → SAR-L1',
        () => preprocessFrame(frame('sar-l1', quad.complex, 'quadpol-slc'), { inputSize: SIZE }),
        () => directSarL1(quad.pairs),
        log,
      ),
    ];
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of [await bench.run((l) => process.stdout.write(`${l}\n`))].flat())
    process.stdout.write(`${r.name}: ${r.ratio.value.toFixed(3)} (${r.ratio.label})\n`);
}
