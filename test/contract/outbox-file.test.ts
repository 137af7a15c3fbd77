import test from 'ava';
import { mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOutbox } from '../../sdk/mqtt/outbox/file-outbox.js';
import type { FileOutboxOptions } from '../../sdk/mqtt/outbox/open-log.js';
import type { Outbox } from '../../sdk/mqtt/outbox/outbox.js';
import { outboxContract } from './outbox.contract.js';

/** The contract, run against the file outbox with each fsync policy that changes code paths. */
for (const fsync of ['always', { intervalMs: 50 }] as const) {
  const label = typeof fsync === 'string' ? fsync : `every ${fsync.intervalMs} ms`;
  outboxContract(test, {
    name: `FileOutbox (fsync ${label})`,
    durable: true,
    async create({ limits, clock }) {
      const dir = await mkdtemp(join(tmpdir(), 'outbox-contract-'));
      // A small cache and compaction threshold so reads from disk and compaction are exercised.
      const options: FileOutboxOptions = {
        dir,
        fsync,
        cacheBytes: 16 * 1024,
        compactMinBytes: 64 * 1024,
        ...(limits ? { limits } : {}),
        ...(clock ? { clock } : {}),
      };
      let current: Outbox = await FileOutbox.open(options);
      return {
        get outbox() {
          return current;
        },
        async reopen() {
          await current.close();
          current = await FileOutbox.open(options);
          return current;
        },
        async damageTail(bytes: number) {
          const file = join(dir, 'outbox.log');
          await truncate(file, (await stat(file)).size - bytes);
        },
        async cleanup() {
          await current.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  });
}

// ---- file-specific behaviour (format, locking, compaction, damage) ----

const withDir = async (body: (dir: string) => Promise<void>): Promise<void> => {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-file-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
const entry = (n: number, size = 100) => ({
  topic: `ringmoe/f/d/results/t`,
  payload: Buffer.alloc(size, n % 256),
  qos: 1 as const,
  retain: false,
});

test('FileOutbox: compaction keeps the log near the live size and loses nothing', async (t) => {
  await withDir(async (dir) => {
    const outbox = await FileOutbox.open({ dir, compactMinBytes: 32 * 1024 });
    let peak = 0;
    for (let round = 0; round < 50; round++) {
      const added = await Promise.all(
        Array.from({ length: 100 }, (_, i) => outbox.append(entry(round * 100 + i, 500))),
      );
      await outbox.ack(added.slice(0, 99).map((a) => a.seq));
      peak = Math.max(peak, outbox.fileBytes);
    }
    // 50 live entries of ~560 bytes; without compaction the log would hold 5000 records (~2.8 MB).
    t.true(peak < 200 * 1024, `peak ${peak}`);
    t.is(outbox.stats().pending, 50);
    await outbox.close();
    const again = await FileOutbox.open({ dir });
    t.is(again.recovery.truncatedBytes, 0);
    t.deepEqual(
      (await again.read(0, 100)).map((e) => e.payload[0]),
      Array.from({ length: 50 }, (_, r) => (r * 100 + 99) % 256),
    );
    t.like(again.stats(), { appended: 5000, acked: 4950, pending: 50 });
    await again.close();
  });
});

test('FileOutbox: a damaged record in the middle costs that record only, is reported, and is gone from the rewritten log', async (t) => {
  await withDir(async (dir) => {
    const outbox = await FileOutbox.open({ dir });
    for (let i = 0; i < 10; i++) await outbox.append(entry(i));
    const size = outbox.fileBytes;
    await outbox.close();
    const { open } = await import('node:fs/promises');
    const fh = await open(join(dir, 'outbox.log'), 'r+');
    const recordBytes = (size - 16) / 10;
    await fh.write(Buffer.from([0xff]), 0, 1, 16 + recordBytes * 6 + 40); // inside record 7's body
    await fh.close();
    const again = await FileOutbox.open({ dir });
    t.is(again.recovery.records, 9);
    t.is(again.recovery.truncatedBytes, 0);
    t.like(again.recovery.damaged, [{ offset: 16 + recordBytes * 6, bytes: recordBytes, records: 1 }]);
    t.regex(again.recovery.damaged[0]!.reason, /fails its checksum/);
    t.is(again.stats().damaged, 1);
    t.deepEqual(
      (await again.read(0, 100)).map((e) => e.payload[0]),
      [0, 1, 2, 3, 4, 5, 7, 8, 9],
    );
    await again.close();
    const third = await FileOutbox.open({ dir });
    t.deepEqual(third.recovery.damaged, []);
    t.is(third.stats().pending, 9);
    await third.close();
  });
});

test('FileOutbox: a torn frame header (fewer than 8 bytes) is cut', async (t) => {
  await withDir(async (dir) => {
    const outbox = await FileOutbox.open({ dir });
    await outbox.append(entry(1));
    await outbox.close();
    const { appendFile } = await import('node:fs/promises');
    await appendFile(join(dir, 'outbox.log'), Buffer.from([0x20, 0, 0]));
    const again = await FileOutbox.open({ dir });
    t.like(again.recovery, { records: 1, pending: 1, truncatedBytes: 3 });
    await again.close();
  });
});

test('FileOutbox: a file that is not an outbox log is moved aside, kept, and a new log is started', async (t) => {
  await withDir(async (dir) => {
    const { readdir, writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'outbox.log'), "this is someone else's file, not ours at all");
    const outbox = await FileOutbox.open({ dir });
    t.is(outbox.stats().pending, 0);
    t.regex(outbox.recovery.damaged[0]?.reason ?? '', /not an outbox log/);
    const aside = (await readdir(dir)).find((n) => n.startsWith('outbox.log.damaged-'));
    t.truthy(aside);
    t.is((await stat(join(dir, aside!))).size, 44);
    t.is(outbox.recovery.movedAside, join(dir, aside!));
    await outbox.append(entry(1));
    await outbox.close();
  });
});

test('EXPECTED FAILURE - FileOutbox: a second open of a directory in use is refused until the first closes', async (t) => {
  await withDir(async (dir) => {
    const first = await FileOutbox.open({ dir });
    await t.throwsAsync(FileOutbox.open({ dir }), { message: /in use by this process/ });
    await first.close();
    const second = await FileOutbox.open({ dir });
    await second.close();
    t.pass();
  });
});

test('FileOutbox: a lock left by a killed process is taken over', async (t) => {
  await withDir(async (dir) => {
    const { spawnSync } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(join(dir, 'LOCK'), `${dead.stdout}\n`);
    const outbox = await FileOutbox.open({ dir });
    t.is(outbox.stats().pending, 0);
    await outbox.close();
  });
});

test('BAD CALL - FileOutbox: options are checked by name', async (t) => {
  await withDir(async (dir) => {
    const cases: [unknown, RegExp][] = [
      [{ dir, fsync: 'sometimes' }, /options\.fsync/],
      [{ dir, fsync: { intervalMs: 0 } }, /options\.fsync\.intervalMs/],
      [{ dir, cacheBytes: -1 }, /options\.cacheBytes/],
      [{ dir, limits: { maxEntries: 0 } }, /options\.limits\.maxEntries/],
      [{ dir, limits: { maxBytes: 2048, maxMessageBytes: 4096 } }, /options\.limits\.maxMessageBytes/],
      [{ dir, fsynk: 'always' }, /did you mean options\.fsync/],
      [{ dir: '' }, /options\.dir/],
    ];
    for (const [options, re] of cases) {
      const err = await t.throwsAsync(FileOutbox.open(options as FileOutboxOptions), { message: re });
      t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
    }
  });
});
