/**
 * kill -9 while the file outbox is writing: every append that had resolved before the kill is
 * there after reopening, a torn last record (if the kill landed inside a write) is cut, and the
 * outbox accepts new appends.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FileOutbox } from '../../../sdk/mqtt/outbox/file-outbox.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'outbox-writer.ts');

for (const fsync of ['always', 'never'] as const) {
  test(`FileOutbox (fsync ${fsync}) keeps every resolved append across SIGKILL mid-write`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'outbox-crash-'));
    const proc = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, fsync], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const resolved = new Set<number>();
      await new Promise<void>((resolve, reject) => {
        proc.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          resolved.add(Number(line.slice(3)));
          if (resolved.size === 1500) {
            proc.kill('SIGKILL');
            resolve();
          }
        });
      });
      await new Promise((r) => proc.once('exit', r));
      const outbox = await FileOutbox.open({ dir, limits: { maxEntries: 1_000_000, maxBytes: 2 ** 32 } });
      try {
        const entries = await outbox.read(0, 1_000_000);
        const present = new Set(entries.map((e) => Buffer.from(e.payload).readUInt32LE(0)));
        const lost = [...resolved].filter((n) => !present.has(n));
        t.deepEqual(lost, [], 'no resolved append is lost');
        for (const e of entries) {
          const n = Buffer.from(e.payload).readUInt32LE(0);
          t.is(e.payload[100], n % 251, `entry ${n} intact`);
        }
        t.log(
          `${resolved.size} resolved, ${entries.length} recovered, ${outbox.recovery.truncatedBytes} torn bytes cut${outbox.recovery.reason ? ` (${outbox.recovery.reason})` : ''}`,
        );
        const after = await outbox.append({ topic: 'a/b', payload: Buffer.from('x'), qos: 1, retain: false });
        t.true(after.seq > Math.max(...entries.map((e) => e.seq)));
      } finally {
        await outbox.close();
      }
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
}
