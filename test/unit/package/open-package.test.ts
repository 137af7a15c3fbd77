import test from 'ava';
import { cpSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { PackageWriter } from '../../../tools/package/package-writer.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';

async function copyOfTiny(): Promise<string> {
  const { dir } = await tinyPackage();
  const copy = join(tempDir('copy'), 'pkg');
  cpSync(dir, copy, { recursive: true });
  return copy;
}

const code = (e: unknown) => (e as { code?: string }).code;

test('a good package opens with full verification', async (t) => {
  const dir = await copyOfTiny();
  const pkg = await openPackage(dir);
  t.is(pkg.manifest.name, 'ringmoe-tiny');
  t.regex(pkg.packageHash, /^[0-9a-f]{64}$/);
  t.is(pkg.entry('optical').graph, 'optical.onnx');
  const err = t.throws(() => pkg.entry('thermal'));
  t.regex(err!.message, /no entry "thermal"; it has optical, sar-l1/);
});

test('EXPECTED FAILURE - a manifest listing a missing weight file names the file', async (t) => {
  const dir = await copyOfTiny();
  unlinkSync(join(dir, 'weights/s2.b0/collaborative.1.bin'));
  const err = await t.throwsAsync(openPackage(dir));
  t.is(code(err), 'E_PACKAGE_FILE_MISSING');
  t.regex(
    err!.message,
    /ringmoe\.json: files\["weights\/s2\.b0\/collaborative\.1\.bin"\]: .* listed in the manifest but missing/,
  );
});

test('EXPECTED FAILURE - a truncated weight file is a size mismatch', async (t) => {
  const dir = await copyOfTiny();
  truncateSync(join(dir, 'weights/trunk.bin'), 1000);
  const err = await t.throwsAsync(openPackage(dir));
  t.is(code(err), 'E_PACKAGE_SIZE_MISMATCH');
  t.regex(err!.message, /weights\/trunk\.bin has 1000 bytes but the manifest says \d+/);
});

test('EXPECTED FAILURE - a modified weight file of the same size is a hash mismatch', async (t) => {
  const dir = await copyOfTiny();
  const p = join(dir, 'weights/s1.b0/shared.bin');
  const bytes = readFileSync(p);
  bytes[17] = bytes[17]! ^ 0xff;
  writeFileSync(p, bytes);
  const err = await t.throwsAsync(openPackage(dir));
  t.is(code(err), 'E_PACKAGE_HASH_MISMATCH');
  t.regex(err!.message, /weights\/s1\.b0\/shared\.bin has sha256 .* but the manifest says/);
  // a size-only check does not notice; a full check does
  await t.notThrowsAsync(openPackage(dir, { verify: 'size' }));
});

test('EXPECTED FAILURE - manifest problems are reported together, and unsafe paths are their own error', async (t) => {
  const dir = await copyOfTiny();
  const m = JSON.parse(readFileSync(join(dir, 'ringmoe.json'), 'utf8'));
  m.formatVersion = 99;
  m.entries[1].graph = 'missing.onnx';
  writeFileSync(join(dir, 'ringmoe.json'), JSON.stringify(m));
  const err = await t.throwsAsync(openPackage(dir));
  t.is(code(err), 'E_PACKAGE_MANIFEST');
  t.regex(err!.message, /formatVersion 99 is not supported/);
  t.regex(err!.message, /entries\[1\]\.graph missing\.onnx is not listed in files/);
  m.formatVersion = 1;
  m.entries[1].graph = 'sar-l1.onnx';
  m.files['../escape.bin'] = { sha256: 'a'.repeat(64), size: 1, role: 'other' };
  writeFileSync(join(dir, 'ringmoe.json'), JSON.stringify(m));
  t.is(code(await t.throwsAsync(openPackage(dir))), 'E_PATH_UNSAFE');
  writeFileSync(join(dir, 'ringmoe.json'), '{"format": "ringmoe-edge/package", ');
  const bad = await t.throwsAsync(openPackage(dir));
  t.is(code(bad), 'E_PACKAGE_MANIFEST');
  t.regex(bad!.message, /not valid JSON/);
});

test('EXPECTED FAILURE - a symlink in place of a package file is refused', async (t) => {
  const dir = await copyOfTiny();
  const p = join(dir, 'weights/head.cls.bin');
  cpSync(p, join(dir, '..', 'outside.bin'));
  rmSync(p);
  symlinkSync(join(dir, '..', 'outside.bin'), p);
  t.is(code(await t.throwsAsync(openPackage(dir))), 'E_PATH_UNSAFE');
});

test('EXPECTED FAILURE - a half-written package directory is detected, never mistaken for a package', async (t) => {
  const dir = join(tempDir('half'), 'pkg');
  const w = await PackageWriter.create(dir);
  w.weights.tensor('x', 'weights/x.bin', 'float32', [4], () => new Float32Array(4));
  w.abort();
  const err = await t.throwsAsync(openPackage(dir));
  t.is(code(err), 'E_PACKAGE_INCOMPLETE');
  t.regex(err!.message, /half-written by an interrupted run/);
  // the marker gone but no manifest: still not a package
  unlinkSync(join(dir, '.incomplete'));
  t.is(code(await t.throwsAsync(openPackage(dir))), 'E_PACKAGE_INCOMPLETE');
  t.is(code(await t.throwsAsync(openPackage(join(dir, 'nope')))), 'E_FILE_NOT_FOUND');
});

test('EXPECTED FAILURE - writing over an existing directory needs force', async (t) => {
  const dir = await copyOfTiny();
  const err = await t.throwsAsync(PackageWriter.create(dir));
  t.is(code(err), 'E_OUTPUT_EXISTS');
  t.regex(err!.message, /--force/);
});
