/**
 * Fuzzing the whole pipeline: thousands of malformed frames through `runtime.run()` — truncated and
 * corrupted files, random bytes, bands or dtypes that do not fit the modality, NaN/Inf samples, zero
 * and huge dimensions, things that are not frames at all — interleaved with valid frames. Each bad
 * frame gets exactly one failure outcome with a reason; valid frames still get results; nothing
 * crashes; heap and array buffers stay flat.
 */
import test from 'ava';
import sharp from 'sharp';
import type { FrameOutcome } from '../../../sdk/pipeline/results.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import type { Frame, RasterPixels } from '../../../sdk/sensors/frame.js';
import { createRng, type Rng } from '../../../sdk/sensors/synthetic/rng.js';
import { REAL } from '../../fixtures/frames/index.js';
import { xorByte } from '../../helpers/bytes.js';
import { tinyPackage } from '../../helpers/packages.js';
import { aeroWindows } from './frames.js';
import { settledMemory as memory } from '../../helpers/settled-memory.js';

/** Codes a bad frame may fail with: the frame is undecodable, unusable, or of a modality the model lacks. */
const FRAME_CODES = ['E_FRAME_DECODE', 'E_FRAME_INVALID', 'E_UNKNOWN_MODALITY'];

interface Seeds {
  jpeg: Uint8Array;
  png: Uint8Array;
  tiff: Uint8Array;
  olinda: Uint8Array;
}

async function seeds(): Promise<Seeds> {
  const crop = sharp(REAL.aero1).extract({ left: 100, top: 80, width: 80, height: 60 });
  const { readFile } = await import('node:fs/promises');
  return {
    jpeg: await crop.clone().jpeg().toBuffer(),
    png: await crop.clone().png().toBuffer(),
    tiff: await crop.clone().tiff({ compression: 'lzw' }).toBuffer(),
    olinda: await readFile(REAL.olinda),
  };
}

type Bad = { what: string; frame: unknown; mayPass?: boolean };

/** One malformed frame; `k` makes ids unique. */
function badFrame(s: Seeds, rng: Rng, k: number): Bad {
  const id = `bad-${k}`;
  const ts = 1_700_000_000_000 + k;
  const file = [s.jpeg, s.png, s.tiff, s.olinda][rng.int(0, 3)]!;
  const modality = file === s.olinda ? 'multispectral' : 'optical';
  const sensor = file === s.olinda ? { sensor: 'landsat7-etm' } : {};
  const raw = (px: Partial<RasterPixels>, m = 'sar-l2'): Frame => ({
    id,
    modality: m,
    timestamp: ts,
    pixels: {
      data: new Float32Array(64),
      width: 8,
      height: 8,
      bands: 1,
      dtype: 'float32',
      layout: 'chw',
      ...px,
    } as RasterPixels,
  });
  switch (rng.int(0, 15)) {
    case 0:
      return {
        what: 'truncated file',
        frame: {
          id,
          modality,
          timestamp: ts,
          ...sensor,
          pixels: file.subarray(0, rng.int(1, Math.floor(file.length * 0.6))),
        },
      };
    case 1: {
      const c = new Uint8Array(file);
      xorByte(c, 0, 0xff);
      return { what: 'corrupt magic', frame: { id, modality, timestamp: ts, pixels: c } };
    }
    case 2: {
      const c = new Uint8Array(file);
      for (let i = 0; i < 8; i++) xorByte(c, rng.int(16, c.length - 1), 1 << rng.int(0, 7));
      return { what: 'bit flips', frame: { id, modality, timestamp: ts, ...sensor, pixels: c }, mayPass: true };
    }
    case 3:
      return {
        what: 'random bytes',
        frame: {
          id,
          modality: 'optical',
          timestamp: ts,
          pixels: Uint8Array.from({ length: rng.int(1, 4000) }, () => rng.int(0, 255)),
        },
      };
    case 4:
      return {
        what: 'RGB file as multispectral (3 bands, 4 needed)',
        frame: { id, modality: 'multispectral', timestamp: ts, pixels: s.jpeg },
      };
    case 5:
      return {
        what: 'uint8 raster as SAR-L1 (complex needed)',
        frame: raw({ dtype: 'uint8', data: new Uint8Array(64) }, 'sar-l1'),
      };
    case 6: {
      const data = new Float32Array(64).fill(3);
      data[rng.int(0, 63)] = [Number.NaN, Infinity, -Infinity][rng.int(0, 2)]!;
      return { what: 'NaN/Inf sample', frame: raw({ data }) };
    }
    case 7:
      return { what: 'zero width', frame: raw({ width: 0 }) };
    case 8:
      return { what: 'huge dimensions', frame: raw({ width: 1_000_000, height: 1_000_000 }) };
    case 9:
      return { what: 'data shorter than its dimensions', frame: raw({ width: 9 }) };
    case 10:
      return { what: 'typed array of the wrong class', frame: raw({ data: new Int16Array(64) }) };
    case 11:
      return {
        what: 'not a frame',
        frame: [null, undefined, 42, 'frame.jpg', [], () => 1, Symbol('x')][rng.int(0, 6)],
      };
    case 12:
      return {
        what: 'missing fields',
        frame: [
          {},
          { id },
          { id, modality },
          { id, modality, pixels: s.jpeg },
          { id: 7, modality, pixels: s.jpeg, timestamp: ts },
        ][rng.int(0, 4)],
      };
    case 13:
      return {
        what: 'unknown modality',
        frame: { id, modality: ['thermal', 'lidar', 'OPTICAL!', ''][rng.int(0, 3)], timestamp: ts, pixels: s.jpeg },
      };
    case 14:
      return { what: 'missing file', frame: { id, modality, timestamp: ts, pixels: `no/such/frame-${k}.jpg` } };
    default:
      return {
        what: 'pixels of the wrong kind',
        frame: {
          id,
          modality,
          timestamp: ts,
          pixels: [{ data: [1, 2, 3] }, 12, { width: 3 }, new ArrayBuffer(8)][rng.int(0, 3)],
        },
      };
  }
}

test('thousands of malformed frames through run(): one failure with a reason each, valid frames interleaved still succeed, memory flat', async (t) => {
  const rt = await createRuntime({
    package: (await tinyPackage()).dir,
    tasks: { segmentation: false, depth: false },
    queue: { capacity: 16 },
  });
  t.teardown(() => rt.close());
  const s = await seeds();
  const valid = await aeroWindows(40, 48, 'ok');
  const rng = createRng(77);
  const total = 3000;
  // What each frame was (not the frame itself: holding the frames would be the test's own growth).
  const expected: { id: string; bad?: { what: string; mayPass?: boolean } }[] = [];
  const source = (function* () {
    for (let k = 0; k < total; k++) {
      if (k % 10 === 0) {
        const f = { ...valid[(k / 10) % valid.length]!, id: `ok-${k}`, timestamp: k };
        expected.push({ id: f.id });
        yield f;
      } else {
        const bad = badFrame(s, rng, k);
        const id =
          typeof bad.frame === 'object' && bad.frame !== null && typeof (bad.frame as { id?: unknown }).id === 'string'
            ? (bad.frame as Frame).id
            : '(no id)';
        expected.push({ id: id || '(no id)', bad: { what: bad.what, ...(bad.mayPass ? { mayPass: true } : {}) } });
        yield bad.frame as Frame;
      }
    }
  })();
  const wrong: string[] = [];
  const reasons = new Map<string, number>();
  let baseline = 0;
  let n = 0;
  let passedBad = 0;
  for await (const o of rt.run(source) as AsyncIterable<FrameOutcome>) {
    const want = expected[n]!;
    if (n === 300) baseline = await memory();
    n++;
    if (o.frameId !== want.id) wrong.push(`#${n - 1}: outcome for ${o.frameId}, expected ${want.id}`);
    if (!want.bad) {
      if (!o.ok) wrong.push(`valid ${want.id} failed: ${o.error.message}`);
      continue;
    }
    if (o.ok) {
      passedBad++;
      if (!want.bad.mayPass) wrong.push(`${want.bad.what} (${want.id}) was accepted`);
      continue;
    }
    if (!FRAME_CODES.includes(o.error.code) || o.error.message.length < 10)
      wrong.push(`${want.bad.what}: ${o.error.code} ${o.error.message}`);
    reasons.set(`${want.bad.what} → ${o.error.code}`, (reasons.get(`${want.bad.what} → ${o.error.code}`) ?? 0) + 1);
  }
  const growth = (await memory()) - baseline;
  t.is(n, total, 'one outcome per frame');
  t.deepEqual(wrong.slice(0, 20), [], `${wrong.length} problems`);
  const m = rt.metrics();
  t.is(m.frames.received, total);
  t.is(m.frames.completed, total / 10 + passedBad);
  t.is(m.frames.failed, total - m.frames.completed);
  t.true(reasons.size >= 15, [...reasons.keys()].join('; '));
  t.true(growth < 24 * 1024 * 1024, `memory grew by ${(growth / 1048576).toFixed(1)} MiB`);
  t.log(
    `${total} frames (${total / 10} valid), ${passedBad} bit-flipped files still decodable; heap+buffers growth after warm-up ${(growth / 1048576).toFixed(1)} MiB`,
  );
  t.log(
    [...reasons]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${v} × ${k}`)
      .join('\n'),
  );
});
