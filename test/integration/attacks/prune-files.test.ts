/**
 * Attacks on pruning through the source package's files, made after the package was opened and
 * the plan made (so openPackage's checks have already passed): a kept file or its directory
 * swapped for a link to a secret or to /dev/zero, a FIFO, or other bytes. Kept files are copied by
 * the kernel from a checked descriptor; each swap must be refused with its code, nothing of the
 * target may reach the pruned package, and the output stays recognisably unfinished.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openPackage, type ModelPackage } from '../../../sdk/package/open-package.js';
import { resolvePruneOptions } from '../../../tools/planner/prune-options.js';
import { applyPrunePlan } from '../../../tools/prune/apply.js';
import { prunePlan } from '../../../tools/prune/plan.js';
import type { PrunePlan } from '../../../tools/prune/plan-types.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { rejection } from '../../helpers/rejection.js';

const SECRET = Buffer.from('-----BEGIN PRIVATE KEY-----\nthis is the release signing key\n-----END PRIVATE KEY-----\n');

/** A private copy of the tiny package, opened, its optical sub-model planned, and a kept weight file. */
async function planned(name: string): Promise<{ dir: string; source: ModelPackage; plan: PrunePlan; kept: string }> {
  const src = await tinyPackage();
  const dir = join(tempDir(name), 'pkg');
  await cp(src.dir, dir, { recursive: true });
  const source = await openPackage(dir, { verify: 'size' });
  const plan = prunePlan(source, resolvePruneOptions({ modalities: 'optical' }, source.manifest));
  const kept = plan.files.copy.map((f) => f.path).find((p) => p.startsWith('weights/'))!;
  return { dir, source, plan, kept };
}

/** A secret file of exactly `size` bytes. */
async function secretOfSize(size: number): Promise<string> {
  const path = join(tempDir('secret'), 'release-key.pem');
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i += SECRET.length) SECRET.copy(body, i);
  await writeFile(path, body);
  return path;
}

/** Prunes into a fresh directory; returns the error and the directory. */
async function pruneFails(
  source: ModelPackage,
  plan: PrunePlan,
): Promise<{ code: string; message: string; out: string }> {
  const out = join(tempDir('pruned'), 'pkg');
  const err = await rejection(applyPrunePlan(plan, source, { outDir: out }));
  return { code: err.code, message: err.message, out };
}

/** Every byte of every regular file under `dir`. */
async function allBytes(dir: string): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(await readFile(join(e.parentPath, e.name)));
  }
  return Buffer.concat(out);
}

test('prune: a kept weight file swapped for a link to a secret after planning is refused (E_PATH_UNSAFE) and nothing of the secret is copied', async (t) => {
  const { dir, source, plan, kept } = await planned('prune-swap-link');
  const secret = await secretOfSize((await stat(join(dir, kept))).size);
  await rm(join(dir, kept));
  await symlink(secret, join(dir, kept));
  const r = await pruneFails(source, plan);
  t.is(r.code, 'E_PATH_UNSAFE');
  t.true(r.message.includes(kept), r.message);
  t.is((await allBytes(r.out)).indexOf('release signing key'), -1);
  t.true((await readdir(r.out)).includes('.incomplete'));
});

test('prune: a kept weight file swapped for a link to /dev/zero or for a FIFO is refused without blocking (E_PATH_UNSAFE)', async (t) => {
  const { dir, source, plan, kept } = await planned('prune-swap-special');
  await rm(join(dir, kept));
  await symlink('/dev/zero', join(dir, kept));
  t.is((await pruneFails(source, plan)).code, 'E_PATH_UNSAFE');
  await rm(join(dir, kept));
  execFileSync('mkfifo', [join(dir, kept)]);
  t.is((await pruneFails(source, plan)).code, 'E_PATH_UNSAFE');
});

test('prune: a weights/ directory swapped for a link after planning is refused (E_PATH_UNSAFE)', async (t) => {
  const { dir, source, plan, kept } = await planned('prune-swap-dir');
  const weightsDir = join(dir, kept.split('/')[0]!);
  const elsewhere = join(tempDir('outside'), 'weights');
  await rename(weightsDir, elsewhere);
  await symlink(elsewhere, weightsDir);
  t.is((await pruneFails(source, plan)).code, 'E_PATH_UNSAFE');
});

test('prune: a kept weight file replaced by other bytes of its size after opening is caught by the hash of the copy (E_PACKAGE_HASH_MISMATCH)', async (t) => {
  const { dir, source, plan, kept } = await planned('prune-replace');
  const size = (await stat(join(dir, kept))).size;
  await rm(join(dir, kept));
  await writeFile(join(dir, kept), Buffer.alloc(size, 7));
  const r = await pruneFails(source, plan);
  t.is(r.code, 'E_PACKAGE_HASH_MISMATCH');
  t.true(r.message.includes(kept), r.message);
  t.true((await readdir(r.out)).includes('.incomplete'));
});
