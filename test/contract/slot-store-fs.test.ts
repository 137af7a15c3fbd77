import test from 'ava';
import { mkdir, stat, symlink, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FsSlotStore } from '../../sdk/ota/slots/slot-store-fs.js';
import { tempDir } from '../helpers/packages.js';
import { makeBundle, slotStoreContract } from './slot-store.contract.js';

slotStoreContract(test, 'FsSlotStore', async () => {
  const store = await FsSlotStore.open(tempDir('slots'));
  return { store, dispose: () => store.close() };
});

async function stored(root: string, files: Record<string, string>) {
  const store = await FsSlotStore.open(root);
  const b = makeBundle(files);
  for (const [h, bytes] of b.blobs) {
    const w = await store.openBlobWriter(h);
    await w.write(bytes);
    await w.commit(bytes.length);
  }
  await store.stageSlot(b.id, b.bytes, b.files);
  return { store, b };
}

test('FsSlotStore: package files are hard links to read-only blobs (versions sharing experts share disk)', async (t) => {
  const root = tempDir('slots');
  const { store, b } = await stored(root, { 'weights/e.bin': 'expert' });
  const f = b.files.find((x) => x.path === 'weights/e.bin')!;
  const blob = await stat(join(root, 'blobs', f.sha256));
  const file = await stat(join(store.slotPackageDir(b.id), 'weights', 'e.bin'));
  t.is(blob.ino, file.ino);
  t.is(blob.mode & 0o777, 0o444);
  await store.close();
});

test('FsSlotStore: cleanup removes half-staged slots, half-removed slots and temp files left by a cut run', async (t) => {
  const root = tempDir('slots');
  const { store, b } = await stored(root, { 'weights/e.bin': 'expert' });
  await mkdir(join(root, 'slots', `.staging-${b.id}`, 'package'), { recursive: true });
  await mkdir(join(root, 'slots', `.trash-${'a'.repeat(64)}`), { recursive: true });
  await writeFile(join(root, '.pointer.json.123.tmp'), '{"cur');
  const report = await store.cleanup();
  t.deepEqual(
    report.removed.sort(),
    [`slots/.staging-${b.id}`, `slots/.trash-${'a'.repeat(64)}`, '.pointer.json.123.tmp'].sort(),
  );
  t.deepEqual(await store.listSlots(), [b.id]);
  t.deepEqual((await readdir(join(root, 'slots'))).sort(), [b.id]);
  await store.close();
});

test('FsSlotStore: EXPECTED FAILURE - a package file replaced by a symlink fails verification with E_PATH_UNSAFE', async (t) => {
  const root = tempDir('slots');
  const { store, b } = await stored(root, { 'weights/e.bin': 'expert' });
  const p = join(store.slotPackageDir(b.id), 'weights', 'e.bin');
  const { unlink } = await import('node:fs/promises');
  await unlink(p);
  await symlink('/etc/hostname', p);
  const err = await t.throwsAsync(store.verifySlot(b.id));
  t.is((err as { code?: string }).code, 'E_PATH_UNSAFE');
  await store.close();
});

test("FsSlotStore: EXPECTED FAILURE - a second process cannot open a store in use (E_IO naming the pid); a dead owner's lock is taken over", async (t) => {
  const root = tempDir('slots');
  const store = await FsSlotStore.open(root);
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `
    import('./sdk/ota/slots/slot-store-fs.ts').then(async ({ FsSlotStore }) => {
      try { await FsSlotStore.open(${JSON.stringify(root)}); console.log('opened'); }
      catch (e) { console.log(e.code + ' ' + e.message); }
    });`,
    ],
    { encoding: 'utf8' },
  );
  t.regex(child.stdout, new RegExp(`E_IO .*in use by process ${process.pid}`));
  await store.close();
  await writeFile(join(root, 'lock'), '999999999\n'); // no such process
  const again = await FsSlotStore.open(root);
  await again.close();
  t.pass();
});
