import test from 'ava';
import { decodeMaskRle, encodeMaskRle } from '../../../sdk/tasks/mask-rle.js';
import { createRng } from '../../../sdk/sensors/synthetic/rng.js';
import { decodeFrame } from '../../../sdk/sensors/codecs/decode.js';
import { REAL, frameOf } from '../../fixtures/frames/index.js';

test('format: varint (value, length) pairs, row-major across rows, base64', (t) => {
  const m = Uint8Array.from([3, 3, 3, 0, 0, 200, 200, 200, 200, 200]);
  const rle = encodeMaskRle(m, 5, 2);
  t.is(rle.runs, 3);
  // (3,3) (0,2) (200 = 0xc8 0x01, 5)
  t.deepEqual(Array.from(Buffer.from(rle.data, 'base64')), [3, 3, 0, 2, 0xc8, 0x01, 5]);
  t.deepEqual(Array.from(decodeMaskRle(rle, 'uint8')), Array.from(m));
});

test('round trips random and real masks, uint8 and uint16, long runs', async (t) => {
  const rng = createRng(3);
  for (let k = 0; k < 50; k++) {
    const w = rng.int(1, 300);
    const h = rng.int(1, 50);
    const wide = k % 2 === 0;
    const m = wide ? new Uint16Array(w * h) : new Uint8Array(w * h);
    let v = 0;
    for (let i = 0; i < m.length; i++) {
      if (rng.next() < 0.05) v = wide ? rng.int(0, 65535) : rng.int(0, 255);
      m[i] = v;
    }
    const back = decodeMaskRle(JSON.parse(JSON.stringify(encodeMaskRle(m, w, h))), wide ? 'uint16' : 'uint8');
    t.deepEqual(Array.from(back), Array.from(m));
  }
  const big = new Uint8Array(4000 * 4000).fill(7);
  t.is(decodeMaskRle(encodeMaskRle(big, 4000, 4000)).length, 16e6);
  const lc = await decodeFrame(frameOf(REAL.landcover, 'optical'), { expandPalette: false });
  const map = lc.raster.planes[0] as Uint8Array;
  const rle = encodeMaskRle(map, 84, 46);
  t.deepEqual(Array.from(decodeMaskRle(rle, 'uint8')), Array.from(map));
  t.true(JSON.stringify(rle).length < map.length, 'smaller than the raw map');
});

/** The format written out plainly: one varint per value and length, run by run. */
function referenceBytes(m: Uint8Array | Uint16Array): number[] {
  const out: number[] = [];
  const varint = (v: number) => {
    for (; v >= 0x80; v = Math.floor(v / 128)) out.push((v & 0x7f) | 0x80);
    out.push(v);
  };
  let start = 0;
  for (let i = 1; i <= m.length; i++) {
    if (i < m.length && m[i] === m[start]) continue;
    varint(m[start]!);
    varint(i - start);
    start = i;
  }
  return out;
}

test('the bytes are those of the format, run by run, however many runs (the buffer grows) and however long', (t) => {
  const rng = createRng(9);
  const cases: [number, number, Uint8Array | Uint16Array][] = [
    // ~30 000 runs of 1–20 pixels: tens of kilobytes, past several doublings of the byte buffer.
    [640, 480, Uint8Array.from({ length: 640 * 480 }, (_, i) => Math.floor(i / (1 + (i % 20))) % 7)],
    [1000, 300, Uint16Array.from({ length: 300_000 }, () => (rng.next() < 0.3 ? rng.int(0, 65535) : 0))],
    [1, 1, Uint8Array.of(255)],
    // One run of 2^21 + 3 pixels: a four-byte length.
    [2048, 1025, new Uint16Array(2048 * 1025).fill(65535)],
  ];
  for (const [w, h, m] of cases) {
    const rle = encodeMaskRle(m, w, h);
    const want = referenceBytes(m);
    t.deepEqual(Array.from(Buffer.from(rle.data, 'base64')), want, `${w}×${h}`);
    t.is(rle.data, Buffer.from(want).toString('base64'));
  }
});

test('EXPECTED FAILURE - malformed encodings and sizes', (t) => {
  const ok = encodeMaskRle(Uint8Array.from([1, 1, 2, 2]), 2, 2);
  const bad = [
    { ...ok, encoding: 'png' },
    { ...ok, width: 3 },
    { ...ok, data: Buffer.from([1, 2, 2]).toString('base64') },
    { ...ok, data: Buffer.from([1, 9]).toString('base64') },
    { ...ok, data: Buffer.from([1, 0x80]).toString('base64') },
    { ...ok, data: Buffer.from([1, 0, 2, 4]).toString('base64') },
  ];
  for (const b of bad)
    t.is((t.throws(() => decodeMaskRle(b as never)) as { code?: string }).code, 'E_INVALID_ARGUMENT');
  t.throws(() => decodeMaskRle({ ...ok, data: Buffer.from([0x80, 0x02, 4]).toString('base64') }, 'uint8'), {
    message: /value 256 does not fit uint8/,
  });
  t.throws(() => encodeMaskRle(new Uint8Array(5), 2, 2), { message: /mask has 5 values but width × height = 2 × 2/ });
});
