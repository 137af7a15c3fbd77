import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { pruneTo } from './helpers.js';

const CHILD = join(REPO_ROOT, 'test/unit/prune/fixtures/prune-child.ts');

test('EXPECTED FAILURE - a prune killed mid-way (SIGKILL) leaves an output openPackage refuses as E_PACKAGE_INCOMPLETE', async (t) => {
  const src = await tinyPackage();
  const out = join(tempDir('killed'), 'pkg');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, src.dir, out], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('midway')) resolve();
    });
    child.on('exit', () => reject(new Error(`child exited before it was killed: ${stdout} ${stderr}`)));
  });
  child.kill('SIGKILL');
  t.is(await exited, 'SIGKILL');
  t.true(existsSync(out));
  t.true(readdirSync(out).includes('.incomplete'), 'the writer marker is still there');
  t.false(existsSync(join(out, 'ringmoe.json')), 'no manifest: it is written last');
  const err = await t.throwsAsync(openPackage(out));
  t.is((err as { code?: string }).code, 'E_PACKAGE_INCOMPLETE');
  t.regex(err!.message, /left half-written by an interrupted run/);
  // The next run refuses the directory unless told to replace it, and then succeeds.
  const again = await t.throwsAsync(pruneTo(src.dir, { modalities: 'optical' }, { outDir: out }));
  t.is((again as { code?: string }).code, 'E_OUTPUT_EXISTS');
  const forced = await pruneTo(src.dir, { modalities: 'optical' }, { outDir: out, force: true });
  await t.notThrowsAsync(openPackage(forced.outDir!));
});
