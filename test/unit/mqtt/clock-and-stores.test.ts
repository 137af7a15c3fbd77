import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBdSeqStore, MemoryBdSeqStore } from '../../../sdk/mqtt/bdseq-store.js';
import { ManualClock } from '../../../sdk/mqtt/clock.js';

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

test('EXPECTED FAILURE - a bdSeq file with something else in it is E_IO naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bdseq-'));
  try {
    const path = join(dir, 'bdseq.json');
    await writeFile(path, '{"bdSeq": -4}');
    const err = await t.throwsAsync(FileBdSeqStore.open(path), { message: /not a bdSeq file/ });
    t.is((err as { code?: string }).code, 'E_IO');
    t.is((err as { file?: string }).file, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
