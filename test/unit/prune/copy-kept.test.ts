import test from 'ava';
import { cp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { sha256File } from '../../../sdk/package/hash.js';
import { resolvePruneOptions } from '../../../tools/planner/prune-options.js';
import { copyKeptFiles } from '../../../tools/prune/copy-kept.js';
import { prunePlan } from '../../../tools/prune/plan.js';
import type { FileAction } from '../../../tools/prune/plan-types.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { rejection } from '../../helpers/rejection.js';

/** A private copy of the tiny package, opened, and the files its optical sub-model keeps. */
async function kept(name: string) {
  const src = await tinyPackage();
  const dir = join(tempDir(name), 'pkg');
  await cp(src.dir, dir, { recursive: true });
  const source = await openPackage(dir, { verify: 'size' });
  const files = prunePlan(source, resolvePruneOptions({ modalities: 'optical' }, source.manifest)).files.copy;
  return { dir, source, files, out: tempDir(`${name}-out`) };
}

test('copyKeptFiles copies every kept file once, reporting each with the digest of its copy', async (t) => {
  const { source, files, out } = await kept('copy-kept');
  const seen: FileAction[] = [];
  await copyKeptFiles(source, files, out, (f, digest) => {
    seen.push(f);
    t.is(digest.sha256, source.manifest.files[f.path]!.sha256, f.path);
  });
  t.deepEqual(seen.map((f) => f.path).sort(), files.map((f) => f.path).sort());
  for (const f of files) t.is(await sha256File(join(out, f.path)), source.manifest.files[f.path]!.sha256);
});

test('copyKeptFiles starts no copy once its signal has aborted', async (t) => {
  const { source, files, out } = await kept('copy-kept-abort');
  const stop = new AbortController();
  stop.abort();
  await copyKeptFiles(source, files, out, () => t.fail('nothing is copied'), stop.signal);
  t.deepEqual(await readdir(out), []);
});

test('EXPECTED FAILURE - copyKeptFiles rejects with E_PACKAGE_HASH_MISMATCH naming a kept file whose bytes differ from the manifest', async (t) => {
  const { dir, source, files, out } = await kept('copy-kept-bad');
  const bad = files.find((f) => f.path.startsWith('weights/'))!;
  await writeFile(join(dir, bad.path), Buffer.alloc(bad.size, 7));
  const err = await rejection(copyKeptFiles(source, files, out, () => undefined));
  t.is(err.code, 'E_PACKAGE_HASH_MISMATCH');
  t.true(err.message.includes(bad.path), err.message);
});
