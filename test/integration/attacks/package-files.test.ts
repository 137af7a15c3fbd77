/**
 * Attacks through the files of models, packages and bundles: links (to a secret, to a device, to a
 * directory outside), FIFOs, external data outside what the manifest lists, and offsets that are
 * not numbers. Each must be refused with its code before a byte of the target is read or copied;
 * the cases that used to exhaust memory assert a bound on it.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_MANIFEST_FILE, type PackageManifest } from '../../../sdk/package/package-manifest.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { SparseTensorProtoSchema } from 'onnx-buf';
import { sha256 } from '../../../sdk/package/hash.js';
import {
  AttributeProtoSchema,
  AttrType,
  create,
  DataLocation,
  DataType,
  ModelProtoSchema,
  NodeProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  toBinary,
} from '../../../tools/onnx/proto.js';
import { ExternalDataReader, externalInfo } from '../../../tools/onnx/tensor-data.js';
import { importModel } from '../../../tools/package/import-model.js';
import { applyBundlePlan, bundlePlan } from '../../../tools/bundle/pack.js';
import { checkBundleBlobs } from '../../../tools/bundle/verify-bundle.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { rejection } from '../../helpers/rejection.js';
import { runCliProcess } from '../../helpers/cli-process.js';
import { settledMemory } from '../../helpers/settled-memory.js';

const TARGET = 'jetson-orin-nano-8gb';
const SECRET = Buffer.from('-----BEGIN PRIVATE KEY-----\nthis is the release signing key\n-----END PRIVATE KEY-----\n');

/** A private copy of the tiny package, and its manifest. */
async function packageCopy(name: string): Promise<{ dir: string; manifest: PackageManifest; weight: string }> {
  const src = await tinyPackage();
  const dir = join(tempDir(name), 'pkg');
  await cp(src.dir, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, PACKAGE_MANIFEST_FILE), 'utf8')) as PackageManifest;
  const weight = manifest.entries.flatMap((e) => e.weightFiles)[0]!;
  return { dir, manifest, weight };
}

/** Every byte of every file under `dir`. */
async function allBytes(dir: string): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(await readFile(join(e.parentPath, e.name)));
  }
  return Buffer.concat(out);
}

/** A secret file of exactly `size` bytes (so that offsets into it are in range). */
async function secretOfSize(size: number): Promise<string> {
  const path = join(tempDir('secret'), 'release-key.pem');
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i += SECRET.length) SECRET.copy(body, i);
  await writeFile(path, body);
  return path;
}

test('import: a vendor model whose external-data file is a link to the signing key is refused (E_PATH_UNSAFE) and nothing of the key is copied', async (t) => {
  const { dir, manifest, weight } = await packageCopy('ext-link');
  const graph = manifest.entries.find((e) => e.weightFiles.includes(weight))!.graph;
  const secret = await secretOfSize((await stat(join(dir, weight))).size);
  await rm(join(dir, weight));
  await symlink(secret, join(dir, weight));
  const out = join(tempDir('ext-link-out'), 'imported');
  const err = await rejection(importModel({ model: join(dir, graph), outDir: out }));
  t.is(err.code, 'E_PATH_UNSAFE');
  t.regex(err.message, /symbolic link/);
  const written = await allBytes(out).catch(() => Buffer.alloc(0));
  t.is(written.indexOf('release signing key'), -1);
});

test('import: external data under a directory that is a link to elsewhere is refused (E_PATH_UNSAFE)', async (t) => {
  const { dir, manifest, weight } = await packageCopy('ext-dirlink');
  const graph = manifest.entries.find((e) => e.weightFiles.includes(weight))!.graph;
  const weightsDir = join(dir, weight.split('/')[0]!);
  const elsewhere = join(tempDir('elsewhere'), 'weights');
  await rename(weightsDir, elsewhere);
  await symlink(elsewhere, weightsDir);
  const err = await rejection(
    importModel({ model: join(dir, graph), outDir: join(tempDir('ext-dirlink-out'), 'imported') }),
  );
  t.is(err.code, 'E_PATH_UNSAFE');
  t.regex(err.message, /directory .* is a symbolic link/);
});

test('ONNX reader: external data that is a FIFO or a link to /dev/zero is refused without blocking or reading (E_PATH_UNSAFE)', async (t) => {
  const dir = tempDir('ext-dev');
  const tensor = (location: string) =>
    create(TensorProtoSchema, {
      name: 'w',
      dims: [4n],
      dataType: DataType.FLOAT,
      dataLocation: DataLocation.EXTERNAL,
      externalData: [create(StringStringEntryProtoSchema, { key: 'location', value: location })],
    });
  await symlink('/dev/zero', join(dir, 'zero.bin'));
  execFileSync('mkfifo', [join(dir, 'pipe.bin')]);
  const reader = new ExternalDataReader(dir, 'model.onnx');
  try {
    t.is((await rejection(reader.read(tensor('zero.bin')))).code, 'E_PATH_UNSAFE');
    const fifo = await rejection(reader.read(tensor('pipe.bin')));
    t.is(fifo.code, 'E_PATH_UNSAFE');
    t.regex(fifo.message, /FIFO/);
  } finally {
    await reader.close();
  }
});

test('ONNX reader: negative, fractional, exponent and non-numeric external-data offsets and lengths are refused (E_EXTERNAL_DATA)', (t) => {
  const tensor = (offset: string, length?: string) =>
    create(TensorProtoSchema, {
      name: 'expert.w',
      dims: [4n],
      dataType: DataType.FLOAT,
      dataLocation: DataLocation.EXTERNAL,
      externalData: [
        create(StringStringEntryProtoSchema, { key: 'location', value: 'w.bin' }),
        create(StringStringEntryProtoSchema, { key: 'offset', value: offset }),
        ...(length !== undefined ? [create(StringStringEntryProtoSchema, { key: 'length', value: length })] : []),
      ],
    });
  for (const [offset, length, field] of [
    ['-16', undefined, 'offset'],
    ['abc', undefined, 'offset'],
    ['1e3', undefined, 'offset'],
    ['0x10', undefined, 'offset'],
    ['16.5', undefined, 'offset'],
    ['', undefined, 'offset'],
    ['99999999999999999999', undefined, 'offset'],
    ['0', '-16', 'length'],
    ['0', 'sixteen', 'length'],
  ] as const) {
    const err = t.throws(
      () => externalInfo(tensor(offset, length), 'model.onnx'),
      undefined,
      `${offset} ${length}`,
    ) as unknown as { code: string; field: string };
    t.is(err.code, 'E_EXTERNAL_DATA', `${offset}/${length}`);
    t.is(err.field, `external_data.${field}`);
  }
  t.deepEqual(externalInfo(tensor('16', '16')), { location: 'w.bin', offset: 16, length: 16 });
});

test('package: a weights/ directory that is a link is refused by openPackage and by bundle (E_PATH_UNSAFE), so verify never sees such a bundle', async (t) => {
  const { dir, weight } = await packageCopy('weights-dirlink');
  const weightsDir = join(dir, weight.split('/')[0]!);
  const elsewhere = join(tempDir('outside'), 'weights');
  await rename(weightsDir, elsewhere);
  await symlink(elsewhere, weightsDir);
  t.is((await rejection(openPackage(dir))).code, 'E_PATH_UNSAFE');
  t.is((await rejection(openPackage(dir, { verify: 'size' }))).code, 'E_PATH_UNSAFE');
  const out = join(tempDir('weights-dirlink-bundle'), 'bundle');
  t.is((await rejection(bundlePlan({ packageDir: dir, version: '1.0.0', target: TARGET }))).code, 'E_PATH_UNSAFE');
  t.is(await stat(out).catch(() => undefined), undefined);
});

test('bundle: a package file swapped for a link between planning and writing is never followed or hard-linked (E_PATH_UNSAFE)', async (t) => {
  const { dir, weight } = await packageCopy('bundle-swap');
  const plan = await bundlePlan({
    packageDir: dir,
    version: '1.0.0',
    target: TARGET,
    createdAt: '2026-01-01T00:00:00Z',
  });
  const secret = await secretOfSize((await stat(join(dir, weight))).size);
  await rm(join(dir, weight));
  await symlink(secret, join(dir, weight));
  const out = join(tempDir('bundle-swap-out'), 'bundle');
  t.is((await rejection(applyBundlePlan(plan, out))).code, 'E_PATH_UNSAFE');
  t.is((await allBytes(out)).indexOf('release signing key'), -1);
});

test('bundle: a package file replaced by other bytes after planning is caught by the hash taken while writing (E_PACKAGE_HASH_MISMATCH)', async (t) => {
  const { dir, weight } = await packageCopy('bundle-replace');
  const plan = await bundlePlan({
    packageDir: dir,
    version: '1.0.0',
    target: TARGET,
    createdAt: '2026-01-01T00:00:00Z',
  });
  const size = (await stat(join(dir, weight))).size;
  await rm(join(dir, weight));
  await writeFile(join(dir, weight), Buffer.alloc(size, 7));
  t.is(
    (await rejection(applyBundlePlan(plan, join(tempDir('bundle-replace-out'), 'bundle')))).code,
    'E_PACKAGE_HASH_MISMATCH',
  );
});

test('bundle: a good package still bundles with hard links where possible, and the bundle verifies', async (t) => {
  const { dir } = await packageCopy('bundle-good');
  const plan = await bundlePlan({
    packageDir: dir,
    version: '1.0.0',
    target: TARGET,
    createdAt: '2026-01-01T00:00:00Z',
  });
  const out = join(tempDir('bundle-good-out'), 'bundle');
  await applyBundlePlan(plan, out);
  t.is(await checkBundleBlobs(await openBundleDir(out)), plan.blobs.length);
});

test('bundle verify: a blobs/ directory that is a link is refused (E_PATH_UNSAFE)', async (t) => {
  const { dir } = await packageCopy('blobs-link');
  const plan = await bundlePlan({
    packageDir: dir,
    version: '1.0.0',
    target: TARGET,
    createdAt: '2026-01-01T00:00:00Z',
  });
  const out = join(tempDir('blobs-link-out'), 'bundle');
  await applyBundlePlan(plan, out);
  const elsewhere = join(tempDir('blobs-elsewhere'), 'blobs');
  await rename(join(out, 'blobs'), elsewhere);
  await symlink(elsewhere, join(out, 'blobs'));
  t.is((await rejection(checkBundleBlobs(await openBundleDir(out)))).code, 'E_PATH_UNSAFE');
});

test('manifest: a ringmoe.json that links to /dev/zero is refused at once, memory stays bounded (E_PATH_UNSAFE)', async (t) => {
  const { dir } = await packageCopy('manifest-zero');
  await rm(join(dir, PACKAGE_MANIFEST_FILE));
  await symlink('/dev/zero', join(dir, PACKAGE_MANIFEST_FILE));
  const before = await settledMemory();
  const err = await rejection(openPackage(dir));
  t.is(err.code, 'E_PATH_UNSAFE');
  t.true((await settledMemory()) - before < 32 * 1024 * 1024, 'memory kept once garbage is collected');
  t.is((await rejection(readModel(join(dir, PACKAGE_MANIFEST_FILE)))).code, 'E_PATH_UNSAFE');
});

test('manifest: a ringmoe.json that is a FIFO is refused without blocking (E_PATH_UNSAFE)', async (t) => {
  const { dir } = await packageCopy('manifest-fifo');
  await rm(join(dir, PACKAGE_MANIFEST_FILE));
  execFileSync('mkfifo', [join(dir, PACKAGE_MANIFEST_FILE)]);
  t.is((await rejection(openPackage(dir))).code, 'E_PATH_UNSAFE');
});

test('manifest: a 100 MB ringmoe.json (one huge string) is refused from its size before it is read, memory bounded (E_JSON_TOO_LARGE)', async (t) => {
  const { dir } = await packageCopy('manifest-huge');
  const path = join(dir, PACKAGE_MANIFEST_FILE);
  const fh = await (await import('node:fs/promises')).open(path, 'w');
  await fh.write('{"name": "');
  const chunk = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 100; i++) await fh.write(chunk);
  await fh.write('"}');
  await fh.close();
  const before = await settledMemory();
  const err = await rejection(openPackage(dir));
  t.is(err.code, 'E_JSON_TOO_LARGE');
  t.is(err.file, path);
  t.true((await settledMemory()) - before < 32 * 1024 * 1024, 'memory kept once garbage is collected');
});

test('manifest: a 1 MB string inside an otherwise valid manifest is refused naming its field (E_JSON_STRING_TOO_LONG)', async (t) => {
  const { dir, manifest } = await packageCopy('manifest-string');
  await writeFile(
    join(dir, PACKAGE_MANIFEST_FILE),
    JSON.stringify({ ...manifest, entries: [{ ...manifest.entries[0], description: 'x'.repeat(1 << 20) }] }),
  );
  const err = await rejection(openPackage(dir));
  t.is(err.code, 'E_JSON_STRING_TOO_LONG');
  t.is(err.field, 'entries[0].description');
});

test('manifest: nested 200,000 levels deep is refused without a stack overflow, memory bounded (E_JSON_TOO_DEEP)', async (t) => {
  const { dir } = await packageCopy('manifest-deep');
  await writeFile(
    join(dir, PACKAGE_MANIFEST_FILE),
    `{"name": "x", "model": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
  );
  const before = await settledMemory();
  const err = await rejection(openPackage(dir));
  t.is(err.code, 'E_JSON_TOO_DEEP');
  t.regex(err.field!, /^model/);
  t.true((await settledMemory()) - before < 32 * 1024 * 1024, 'memory kept once garbage is collected');
});

test('run: an external-data file that is in the package but not in the manifest is refused before the model loads (E_PACKAGE_MANIFEST)', async (t) => {
  const { dir, manifest, weight } = await packageCopy('unlisted');
  const { [weight]: _dropped, ...files } = manifest.files;
  const m = {
    ...manifest,
    files,
    entries: manifest.entries.map((e) => ({ ...e, weightFiles: e.weightFiles.filter((w) => w !== weight) })),
  };
  await writeFile(join(dir, PACKAGE_MANIFEST_FILE), JSON.stringify(m, null, 2));
  const err = await rejection(openPackage(dir));
  t.is(err.code, 'E_PACKAGE_MANIFEST');
  t.true(err.message.includes(weight.split('/').pop()!), err.message);
  t.regex(err.message, /does not list/);
});

test('run: external data named by a Constant value or a sparse initializer, not by an initializer, must be listed too (E_PACKAGE_MANIFEST)', async (t) => {
  for (const where of ['constant', 'sparse'] as const) {
    const { dir, manifest } = await packageCopy(`unlisted-${where}`);
    const entry = manifest.entries[0]!;
    const model = await readModel(join(dir, entry.graph));
    const unlisted = create(TensorProtoSchema, {
      name: 'smuggled',
      dataType: DataType.FLOAT,
      dims: [4n],
      dataLocation: DataLocation.EXTERNAL,
      externalData: [create(StringStringEntryProtoSchema, { key: 'location', value: 'smuggled.bin' })],
    });
    const graph = model.proto.graph!;
    if (where === 'constant')
      graph.node.push(
        create(NodeProtoSchema, {
          opType: 'Constant',
          output: ['smuggled'],
          attribute: [create(AttributeProtoSchema, { name: 'value', type: AttrType.TENSOR, t: unlisted })],
        }),
      );
    else graph.sparseInitializer.push(create(SparseTensorProtoSchema, { values: unlisted, dims: [4n] }));
    await writeFile(join(dir, 'smuggled.bin'), SECRET.subarray(0, 16));
    const bytes = toBinary(ModelProtoSchema, model.proto);
    await writeFile(join(dir, entry.graph), bytes);
    const files = {
      ...manifest.files,
      [entry.graph]: { ...manifest.files[entry.graph]!, sha256: sha256(bytes), size: bytes.length },
    };
    await writeFile(join(dir, PACKAGE_MANIFEST_FILE), JSON.stringify({ ...manifest, files }, null, 2));
    const err = await rejection(openPackage(dir));
    t.is(err.code, 'E_PACKAGE_MANIFEST', where);
    t.true(err.message.includes('smuggled.bin'), err.message);
  }
});

test('a weight file that is itself a link inside a package is refused (E_PATH_UNSAFE)', async (t) => {
  const { dir, weight } = await packageCopy('weight-link');
  const copy = join(tempDir('weight-copy'), 'w.bin');
  await mkdir(join(copy, '..'), { recursive: true });
  await rename(join(dir, weight), copy);
  await symlink(copy, join(dir, weight));
  t.is((await rejection(openPackage(dir))).code, 'E_PATH_UNSAFE');
});

test('CLI: inspect and bundle on a manifest nested 200,000 deep, or linked to /dev/zero, exit with the coded error instead of crashing', async (t) => {
  const { dir } = await packageCopy('cli-deep');
  await writeFile(join(dir, PACKAGE_MANIFEST_FILE), `{"name": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
  const deep = await runCliProcess(['inspect', dir, '--json']);
  t.not(deep.code, 0);
  t.regex(deep.stdout + deep.stderr, /E_JSON_TOO_DEEP/);
  t.notRegex(deep.stderr, /RangeError|Maximum call stack/);
  const bundle = await runCliProcess([
    'bundle',
    dir,
    '--release',
    '1.0.0',
    '--target',
    TARGET,
    '-o',
    join(tempDir('cli-deep-out'), 'b'),
  ]);
  t.not(bundle.code, 0);
  t.regex(bundle.stdout + bundle.stderr, /E_JSON_TOO_DEEP/);
  await rm(join(dir, PACKAGE_MANIFEST_FILE));
  await symlink('/dev/zero', join(dir, PACKAGE_MANIFEST_FILE));
  const zero = await runCliProcess(['inspect', dir]);
  t.not(zero.code, 0);
  t.regex(zero.stdout + zero.stderr, /E_PATH_UNSAFE/);
});
