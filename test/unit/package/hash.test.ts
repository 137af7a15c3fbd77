import test from 'ava';
import { randomFillSync } from 'node:crypto';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyRegularHashed, copyRegularThenHash, sha256 } from '../../../sdk/package/hash.js';
import { tempDir } from '../../helpers/packages.js';

// The one-pass user-space copy, and the kernel copy hashed afterwards (the one-pass copy where the kernel cannot).
for (const [name, copy] of [
  ['copyRegularHashed', copyRegularHashed],
  ['copyRegularThenHash', copyRegularThenHash],
] as const) {
  for (const size of [0, 1, (1 << 20) - 1, 1 << 20, 2.5 * (1 << 20) + 7]) {
    test(`${name} copies ${size} bytes exactly and returns the sha256 of the copy`, async (t) => {
      const dir = tempDir('hash');
      const bytes = randomFillSync(Buffer.alloc(size));
      writeFileSync(join(dir, 'a.bin'), bytes);
      const d = await copy(join(dir, 'a.bin'), join(dir, 'b.bin'), { root: dir, label: 'a.bin' });
      const written = readFileSync(join(dir, 'b.bin'));
      t.true(written.equals(bytes));
      t.deepEqual(d, { sha256: sha256(written), size });
    });
  }

  test(`EXPECTED FAILURE - ${name} refuses an existing destination (E_OUTPUT_EXISTS) and leaves it alone`, async (t) => {
    const dir = tempDir('hash');
    writeFileSync(join(dir, 'a.bin'), 'new');
    writeFileSync(join(dir, 'b.bin'), 'old');
    const err = await t.throwsAsync(copy(join(dir, 'a.bin'), join(dir, 'b.bin'), { label: 'a.bin' }));
    t.is((err as { code?: string }).code, 'E_OUTPUT_EXISTS');
    t.is(readFileSync(join(dir, 'b.bin'), 'utf8'), 'old');
  });

  test(`EXPECTED FAILURE - ${name} refuses a link (E_PATH_UNSAFE) and a missing source (E_FILE_NOT_FOUND)`, async (t) => {
    const dir = tempDir('hash');
    writeFileSync(join(dir, 'a.bin'), 'x');
    symlinkSync(join(dir, 'a.bin'), join(dir, 'link.bin'));
    const linked = await t.throwsAsync(copy(join(dir, 'link.bin'), join(dir, 'c.bin')));
    t.is((linked as { code?: string }).code, 'E_PATH_UNSAFE');
    const missing = await t.throwsAsync(copy(join(dir, 'none.bin'), join(dir, 'd.bin')));
    t.is((missing as { code?: string }).code, 'E_FILE_NOT_FOUND');
  });
}
