import test from 'ava';
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyRegularInKernel } from '../../../sdk/core/kernel-copy.js';
import { tempDir } from '../../helpers/packages.js';

const linux = process.platform === 'linux';

test('copyRegularInKernel copies the bytes exactly where the platform reopens descriptors (Linux), and says whether it did', async (t) => {
  const dir = tempDir('kcopy');
  const bytes = randomFillSync(Buffer.alloc(3 * (1 << 20) + 5));
  writeFileSync(join(dir, 'a.bin'), bytes);
  const copied = await copyRegularInKernel(join(dir, 'a.bin'), join(dir, 'b.bin'), { root: dir, label: 'a.bin' });
  t.is(copied, linux);
  if (copied) t.true(readFileSync(join(dir, 'b.bin')).equals(bytes));
  else t.false(existsSync(join(dir, 'b.bin')), 'nothing written when it cannot copy');
});

test('copyRegularInKernel keeps the permission bits but never setuid, setgid or sticky', async (t) => {
  if (!linux) return t.pass('no kernel copy here');
  const dir = tempDir('kcopy');
  writeFileSync(join(dir, 'a.bin'), 'x');
  chmodSync(join(dir, 'a.bin'), 0o6750);
  t.true(await copyRegularInKernel(join(dir, 'a.bin'), join(dir, 'b.bin')));
  t.is(statSync(join(dir, 'b.bin')).mode & 0o7777, 0o750);
});

test('EXPECTED FAILURE - copyRegularInKernel refuses an existing destination (E_OUTPUT_EXISTS) and leaves it alone', async (t) => {
  if (!linux) return t.pass('no kernel copy here');
  const dir = tempDir('kcopy');
  writeFileSync(join(dir, 'a.bin'), 'new');
  writeFileSync(join(dir, 'b.bin'), 'old');
  const err = await t.throwsAsync(copyRegularInKernel(join(dir, 'a.bin'), join(dir, 'b.bin'), { label: 'a.bin' }));
  t.is((err as { code?: string }).code, 'E_OUTPUT_EXISTS');
  t.is(readFileSync(join(dir, 'b.bin'), 'utf8'), 'old');
});

test('EXPECTED FAILURE - copyRegularInKernel refuses a link, a FIFO (without blocking) and a missing source, writing nothing', async (t) => {
  const dir = tempDir('kcopy');
  writeFileSync(join(dir, 'a.bin'), 'x');
  symlinkSync(join(dir, 'a.bin'), join(dir, 'link.bin'));
  execFileSync('mkfifo', [join(dir, 'pipe.bin')]);
  const cases: [string, string][] = [
    ['link.bin', 'E_PATH_UNSAFE'],
    ['pipe.bin', 'E_PATH_UNSAFE'],
    ['none.bin', 'E_FILE_NOT_FOUND'],
  ];
  for (const [name, code] of cases) {
    const err = await t.throwsAsync(copyRegularInKernel(join(dir, name), join(dir, `out-${name}`)));
    t.is((err as { code?: string }).code, code, name);
    t.false(existsSync(join(dir, `out-${name}`)), name);
  }
});
