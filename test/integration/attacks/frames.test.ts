/**
 * Attacks on frame decoding: files whose headers declare far more than their bytes hold, and honest
 * frames too large for an 8 GB device. Each crash case runs in a child process whose peak resident
 * set is read back and must stay under {@link BOUND} above the idle process.
 */
import test from 'ava';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGeoTiff } from '../../../sdk/sensors/codecs/geotiff-encode.js';
import { decodeFrame, preprocessFrame, type Frame } from '../../../sdk/sensors/index.js';
import type { Raster } from '../../../sdk/sensors/raster.js';
import { mib, runChild } from './run-decode-child.js';
import { deflatedManyBands, flatPng, hugeTagTiff, largeTiledTiff, tileBomb } from './hostile-frames.js';

/** Most a hostile frame may add to the process's peak resident set. */
const BOUND = 512 * 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'ringmoe-attacks-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * One hostile frame: its bytes, how it is fed, and the coded refusal expected. Frames are
 * preprocessed at full resolution (fit tile): with a resize fit a decoder may decode a frame at
 * the model's size instead (see the cases after these).
 */
const CASES: Array<{
  name: string;
  source: () => string;
  mode: 'sdk' | 'pool';
  copies?: number;
  threads?: number;
  code: string;
  message: RegExp;
  size?: [number, number];
}> = [
  {
    name: 'TIFF of a few hundred bytes declaring 4096×4096 tiles of 1×1 at one offset',
    source: () => file('tile-bomb.tif', tileBomb(4096, 1, 1)),
    mode: 'sdk',
    code: 'E_FRAME_INVALID',
    message: /16777216 tiles .* over the 131072-block limit/,
    size: [100, 600],
  },
  {
    name: 'the same tile bomb, four at once through a pool with the default worker count',
    source: () => file('tile-bomb.tif', tileBomb(4096, 1, 1)),
    mode: 'pool',
    copies: 4,
    code: 'E_FRAME_INVALID',
    message: /over the 131072-block limit/,
  },
  {
    name: "the same tile bomb, four at once through a 4-worker pool (the default on an Orin Nano's 6 cores)",
    source: () => file('tile-bomb.tif', tileBomb(4096, 1, 1)),
    mode: 'pool',
    copies: 4,
    threads: 4,
    code: 'E_FRAME_INVALID',
    message: /over the 131072-block limit/,
  },
  {
    name: '10000×10000 PNG through a 4-worker pool, four at once',
    source: () => file('large.png', flatPng(10000, 10000)),
    mode: 'pool',
    copies: 4,
    threads: 4,
    code: 'E_FRAME_INVALID',
    message: /memory budget|over the 268435456-byte limit/,
  },
  {
    name: 'tile bomb under the block limit: 4096×4096 of 16×16 tiles listing one',
    source: () => file('tile-bomb-16.tif', tileBomb(4096, 16, 1)),
    mode: 'sdk',
    code: 'E_FRAME_DECODE',
    message: /geometry needs 65536 tiles but the file lists 1 offsets/,
  },
  {
    name: 'tiled TIFF of a few hundred bytes declaring 10000×8000×3 float32',
    source: () => file('large-tiled.tif', largeTiledTiff(10000, 8000, 4096, 3)),
    mode: 'sdk',
    code: 'E_FRAME_INVALID',
    message: /over the 268435456-byte limit|memory budget/,
    size: [100, 1000],
  },
  {
    name: 'tiled TIFF of a few hundred bytes declaring 8000×8000×1 float32 with corrupt tiles',
    source: () => file('large-tiled-1.tif', largeTiledTiff(8000, 8000, 4096, 1)),
    mode: 'sdk',
    code: 'E_FRAME_INVALID',
    message: /memory budget/,
  },
  {
    name: 'TIFF tag declaring a billion values',
    source: () => file('huge-tag.tif', hugeTagTiff(1_000_000_000)),
    mode: 'sdk',
    code: 'E_FRAME_DECODE',
    message: /lies beyond the end/,
  },
  {
    name: 'PNG of a few hundred KB (317 KB) declaring 10000×10000 RGB',
    source: () => file('large.png', flatPng(10000, 10000)),
    mode: 'sdk',
    code: 'E_FRAME_INVALID',
    message: /memory budget|over the 268435456-byte limit/,
  },
  {
    name: 'raw 10000×10000 frame',
    source: () => 'raw:10000x10000',
    mode: 'sdk',
    code: 'E_FRAME_INVALID',
    message: /memory budget/,
  },
  {
    name: 'deflated 64-band TIFF of 1 GiB decoded (every strip the same 16 KB of deflate)',
    source: () => file('many-bands.tif', deflatedManyBands(4096, 64)),
    mode: 'sdk',
    code: 'E_FRAME_INVALID',
    message: /over the 268435456-byte limit/,
    size: [1000, 1_200_000],
  },
];

for (const c of CASES) {
  test(`hostile frame: ${c.name} → ${c.code}, peak memory bounded`, async (t) => {
    const source = c.source();
    if (c.size) {
      const size = statSync(source).size;
      t.true(size >= c.size[0] && size <= c.size[1], `file is ${size} bytes`);
    }
    const r = await runChild(c.mode, source, 'multispectral', c.copies, c.threads, { fit: 'tile' });
    t.log(
      `${c.mode}${r.threads ? ` (${r.threads} workers)` : ''}: peak ${mib(r.peakAboveIdle)} above idle ${mib(r.idle)}, ${r.ms} ms`,
    );
    t.is(r.results.length, c.copies ?? 1);
    for (const res of r.results) {
      t.false(res.ok);
      t.is(res.code, c.code, res.message);
      t.regex(res.message ?? '', c.message);
    }
    t.true(r.peakAboveIdle < BOUND, `peak ${mib(r.peakAboveIdle)} above idle, bound ${mib(BOUND)}`);
  });
}

test('a frame inside the budget still decodes and preprocesses, under the same bound', async (t) => {
  const r = await runChild('sdk', 'raw:3000x3000', 'sar-l2');
  t.log(`peak ${mib(r.peakAboveIdle)} above idle`);
  t.true(r.results.length === 1 && r.results[0]!.ok, JSON.stringify(r.results));
  t.true(r.peakAboveIdle < BOUND);
});

test('the budget is honest: a frame just under it peaks below it, one just over is refused', async (t) => {
  // 6000×6000 SAR-L2 is estimated at 584 MiB (under 768); 8000×8000 at 1038 MiB (over).
  const under = await runChild('sdk', 'raw:6000x6000', 'sar-l2');
  t.log(`6000×6000: peak ${mib(under.peakAboveIdle)} above idle`);
  t.true(under.results.length === 1 && under.results[0]!.ok, JSON.stringify(under.results));
  t.true(under.peakAboveIdle < 768 * 1024 * 1024);
  const over = await runChild('sdk', 'raw:8000x8000', 'sar-l2');
  t.is(over.results[0]?.code, 'E_FRAME_INVALID');
  t.regex(over.results[0]?.message ?? '', /about 1038 MiB, over the 768 MiB memory budget/);
  t.true(over.peakAboveIdle < BOUND);
});

/** A float64 raster of `bands` bands (complex: pairs) holding `value` at one pixel. */
function float64Raster(bands: number, complex: boolean, value: number): Raster {
  const n = 8 * 8;
  const planes = Array.from({ length: bands * (complex ? 2 : 1) }, () => new Float64Array(n).fill(100));
  planes[0]![9] = value;
  return { width: 8, height: 8, dtype: complex ? 'complex128' : 'float64', complex, planes };
}

const MODALITIES: Array<{ modality: string; bands: number; complex: boolean }> = [
  { modality: 'optical', bands: 3, complex: false },
  { modality: 'multispectral', bands: 4, complex: false },
  { modality: 'sar-l2', bands: 1, complex: false },
  { modality: 'sar-l1', bands: 4, complex: true },
];

for (const m of MODALITIES) {
  for (const value of [1e300, -1e300, 3.5e38]) {
    test(`float64 ${value} outside float32 → E_FRAME_INVALID on ${m.modality}`, async (t) => {
      const bytes = encodeGeoTiff(float64Raster(m.bands, m.complex, value));
      const frame: Frame = { id: 'overflow', modality: m.modality, timestamp: 0, pixels: bytes };
      const err = await t.throwsAsync(preprocessFrame(frame, { inputSize: 8 }));
      t.is((err as { code?: string }).code, 'E_FRAME_INVALID');
      t.regex(err!.message, /band 1.* at x=1, y=1, outside the float32 range/);
    });
  }
}

test('float64 at the float32 maximum still decodes (the check is not off by one)', async (t) => {
  const bytes = encodeGeoTiff(float64Raster(1, false, 3.4028234663852886e38));
  const d = await decodeFrame({ id: 'edge', modality: 'sar-l2', timestamp: 0, pixels: bytes });
  t.is(d.raster.planes[0]![9], 3.4028234663852886e38);
});

test('raw float64 frames get the same check', async (t) => {
  const data = new Float64Array(16).fill(1);
  data[5] = -1e300;
  const err = await t.throwsAsync(
    decodeFrame({
      id: 'raw',
      modality: 'sar-l2',
      timestamp: 0,
      pixels: { width: 4, height: 4, bands: 1, dtype: 'float64', layout: 'chw', data },
    }),
  );
  t.is((err as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(err!.message, /x=1, y=1/);
});

test('hostile frames with a resize fit: decoded at the model size or refused, peak memory bounded', async (t) => {
  // 317 KB of PNG declaring 10000×10000: libvips resizes while it decodes, so the 100-megapixel
  // raster never exists and the frame becomes a 64×64 input.
  const png = await runChild('sdk', file('large-resize.png', flatPng(10000, 10000)), 'optical');
  t.log(`PNG 10000×10000 → 64×64: peak ${mib(png.peakAboveIdle)} above idle, ${png.ms} ms`);
  t.true(png.results[0]!.ok, JSON.stringify(png.results));
  t.deepEqual(png.results[0]!.decoded, { width: 64, height: 64, method: 'decoder-resize' });
  t.true(png.peakAboveIdle < BOUND, `peak ${mib(png.peakAboveIdle)}`);
  // A few hundred bytes declaring 8000×8000 float32 tiles that are not there: averaged block by
  // block, the first band of rows is found corrupt.
  const tiff = await runChild('sdk', file('large-tiled-resize.tif', largeTiledTiff(8000, 8000, 4096, 1)), 'sar-l2');
  t.log(`corrupt 8000×8000 tiled TIFF: peak ${mib(tiff.peakAboveIdle)} above idle`);
  t.is(tiff.results[0]!.code, 'E_FRAME_DECODE', tiff.results[0]!.message);
  t.regex(tiff.results[0]!.message ?? '', /corrupt or truncated|does not match/);
  t.true(tiff.peakAboveIdle < BOUND);
});
