import test from 'ava';
import { cpSync, openSync, readdirSync, closeSync, writeSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { sha256File } from '../../../sdk/package/hash.js';
import { tempDir } from '../../helpers/packages.js';
import { calibratedTiny, pruneTo } from './helpers.js';

const fixture = calibratedTiny({ modalities: ['optical'] });

/** Every file the manifest lists, with its recorded and its freshly computed sha256. */
async function recordedAndFresh(dir: string): Promise<{ rel: string; recorded: string; fresh: string }[]> {
  const m = (await openPackage(dir, { verify: 'size' })).manifest;
  return Promise.all(
    Object.entries(m.files).map(async ([rel, f]) => ({
      rel,
      recorded: f.sha256,
      fresh: await sha256File(join(dir, rel)),
    })),
  );
}

test('the sha256 pruning records while it writes (copies, new weight files, re-emitted graphs, the report) equals a fresh sha256 of each written file', async (t) => {
  const src = await fixture;
  // EP slices routers: new weight files through the weight store, re-emitted graphs, copied files.
  const r = await pruneTo(src.dir, { strategy: 'ep', keepCollaborative: 0.5, modalities: 'optical' });
  t.true(r.plan.files.copy.length > 0 && r.plan.files.write.length > 0, 'both copied and newly written files');
  const files = await recordedAndFresh(r.outDir!);
  t.true(files.some((f) => f.rel === 'reports/fidelity.json'));
  for (const f of files) t.is(f.recorded, f.fresh, f.rel);
  await t.notThrowsAsync(openPackage(r.outDir!, { verify: 'full' }));
  // A kept file copied unchanged has its source's hash.
  const kept = r.plan.files.copy[0]!.path;
  t.is(r.manifest!.files[kept]!.sha256, src.manifest.files[kept]!.sha256);
});

test("a sub-model (copies only) records the copies' sha256 equal to a fresh hash of each copy", async (t) => {
  const src = await fixture;
  const r = await pruneTo(src.dir, { modalities: 'optical' }, { evaluate: false });
  for (const f of await recordedAndFresh(r.outDir!)) t.is(f.recorded, f.fresh, f.rel);
});

/** A private copy of the fixture with one byte of a weight file an optical sub-model keeps flipped (size unchanged). */
async function corruptedCopy(): Promise<{ dir: string; rel: string }> {
  const src = await fixture;
  const dir = join(tempDir('corrupt'), 'pkg');
  cpSync(src.dir, dir, { recursive: true });
  const { plan } = await pruneTo(src.dir, { modalities: 'optical' }, { dryRun: true });
  const rel = plan.files.copy.map((f) => f.path).find((f) => f.startsWith('weights/'))!;
  const fd = openSync(join(dir, rel), 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 100);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, 100);
  } finally {
    closeSync(fd);
  }
  return { dir, rel };
}

test('EXPECTED FAILURE - a corrupted kept source weight is detected during the copy even when the source is opened without hashing (verify: size)', async (t) => {
  const { dir, rel } = await corruptedCopy();
  const out = join(tempDir('pruned'), 'pkg');
  const err = await t.throwsAsync(
    pruneTo(dir, { modalities: 'optical' }, { outDir: out, verify: 'size', evaluate: false }),
  );
  t.is((err as { code?: string }).code, 'E_PACKAGE_HASH_MISMATCH');
  t.true(err!.message.includes(rel), err!.message);
  t.regex(err!.message, /corrupted or modified/);
  // The output stays recognisably unfinished: no manifest, the marker left in place.
  t.true(readdirSync(out).includes('.incomplete'));
  t.is(((await t.throwsAsync(openPackage(out))) as { code?: string }).code, 'E_PACKAGE_INCOMPLETE');
});

test('EXPECTED FAILURE - a corrupted source weight is refused before anything is written with full verification (the default)', async (t) => {
  const { dir, rel } = await corruptedCopy();
  const err = await t.throwsAsync(pruneTo(dir, { modalities: 'optical' }, { evaluate: false }));
  t.is((err as { code?: string }).code, 'E_PACKAGE_HASH_MISMATCH');
  t.true(err!.message.includes(rel), err!.message);
});
