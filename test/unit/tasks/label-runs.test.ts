/**
 * runEnd reads four bytes at a time where it can: the run ends it finds equal an element-by-element
 * scan for byte and 16-bit maps, on views at every byte offset (aligned or not), for runs that
 * start, end or stop mid-word, and for labels whose every bit is set (255, 65535).
 */
import test from 'ava';
import { runEnd, wordsOf } from '../../../sdk/tasks/label-runs.js';
import { Rng } from '../../../tools/frames/seeded.js';

function naiveEnd(map: Uint8Array | Uint16Array, start: number, end: number): number {
  let i = start + 1;
  while (i < end && map[i] === map[start]) i++;
  return i;
}

test('runEnd equals an element-by-element scan (byte and 16-bit maps, every offset, any start and end)', (t) => {
  const rng = new Rng(21, 'label-runs');
  let checked = 0;
  for (const wide of [false, true]) {
    const top = wide ? 65535 : 255;
    for (let offset = 0; offset < 4; offset++) {
      // Runs of 1 to 40 labels among a few values, the all-ones label included.
      const n = 3000;
      const buffer = new ArrayBuffer((n + 4) * (wide ? 2 : 1));
      const map = wide ? new Uint16Array(buffer, offset * 2, n) : new Uint8Array(buffer, offset, n);
      for (let i = 0; i < n;) {
        const v = [0, 1, 7, top][Math.floor(rng.uniform() * 4)]!;
        const len = 1 + Math.floor(rng.uniform() * 40);
        map.fill(v, i, i + len);
        i += len;
      }
      const words = wordsOf(map);
      t.is(
        words === undefined,
        (offset * (wide ? 2 : 1)) % 4 !== 0,
        `words only on a word boundary (offset ${offset})`,
      );
      for (let k = 0; k < 400; k++) {
        const start = Math.floor(rng.uniform() * n);
        const end = start + 1 + Math.floor(rng.uniform() * (n - start));
        const got = runEnd(map, words, start, end);
        t.is(got, naiveEnd(map, start, end), `${wide ? 'u16' : 'u8'} offset ${offset} [${start}, ${end})`);
        checked++;
      }
      // Walking the whole map run by run visits every run once.
      let runs = 0;
      for (let i = 0; i < n; i = runEnd(map, words, i, n)) runs++;
      let want = 1;
      for (let i = 1; i < n; i++) if (map[i] !== map[i - 1]) want++;
      t.is(runs, want);
    }
  }
  t.true(checked >= 3000);
});
