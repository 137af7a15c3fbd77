import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBdSeqStore, MemoryBdSeqStore } from '../../../sdk/mqtt/bdseq-store.js';
import { ManualClock } from '../../../sdk/core/clock.js';

test('ManualClock fires due timers in time order, including ones scheduled while advancing', (t) => {
  const clock = new ManualClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
  const cancelled = clock.setTimeout(() => fired.push('never'), 5);
  clock.setTimeout(() => {
    fired.push(`a@${clock.now()}`);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 15);
  }, 10);
  clock.clearTimeout(cancelled);
  clock.advance(24);
  t.deepEqual(fired, ['a@1010', 'b@1020']);
  t.is(clock.now(), 1024);
  clock.advance(1);
  t.deepEqual(fired, ['a@1010', 'b@1020', 'c@1025']);
  t.is(clock.pendingTimers, 0);
});

test('FileBdSeqStore continues across reopen; MemoryBdSeqStore starts where told', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bdseq-'));
  try {
    const path = join(dir, 'bdseq.json');
    const a = await FileBdSeqStore.open(path);
    t.is(a.current(), undefined);
    t.deepEqual([await a.next(), await a.next(), await a.next()], [0, 1, 2]);
    const b = await FileBdSeqStore.open(path);
    t.is(b.current(), 2);
    t.is(await b.next(), 3);
    t.deepEqual(JSON.parse(await readFile(path, 'utf8')), { bdSeq: 3 });
    const m = new MemoryBdSeqStore(7);
    t.deepEqual([await m.next(), await m.next()], [7, 8]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a damaged bdSeq file does not stop the device: the sequence goes on from the time in seconds, and the damage is reported', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bdseq-'));
  try {
    const path = join(dir, 'bdseq.json');
    for (const garbage of ['{"bdSeq": -4}', '\u0000\u0001garbage', '[[[[', `{"bdSeq": ${'['.repeat(100)}`]) {
      await writeFile(path, garbage);
      const store = await FileBdSeqStore.open(path, () => 1_700_000_000_500);
      t.is(store.damage?.code, 'E_STATE_DAMAGED', garbage);
      t.is(store.damage?.file, path);
      t.regex(store.damage!.message, /goes on from 1700000000/);
      t.is(await store.next(), 1_700_000_000);
      t.deepEqual(JSON.parse(await readFile(path, 'utf8')), { bdSeq: 1_700_000_000 });
      t.is((await FileBdSeqStore.open(path)).damage, undefined);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
