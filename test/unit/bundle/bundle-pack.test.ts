import test from 'ava';
import { cp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleDelta } from '../../../sdk/ota/bundle/delta.js';
import { checkBundleMatchesPackage } from '../../../sdk/ota/bundle/package-consistency.js';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { addToTrustFile, generateKeyFiles, loadPrivateKey } from '../../../tools/bundle/keys.js';
import { applyBundlePlan, bundlePlan } from '../../../tools/bundle/pack.js';
import { verifyBundleDir } from '../../../tools/bundle/verify-bundle.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { backboneParams, fullSelection } from '../../../tools/ringmoe/params.js';
import { tempDir } from '../../helpers/packages.js';
import { otaFixture, TARGET } from '../../integration/ota/fixtures.js';

const code = async (p: Promise<unknown>) =>
  (
    (await Promise.resolve(p).then(
      () => ({ code: 'none' }),
      (e) => e,
    )) as { code?: string }
  ).code;

test('sub-models of one package share their files byte for byte, so their bundles share blobs', async (t) => {
  const fx = await otaFixture();
  const full = await openPackage(fx.packages.full2);
  const sub = await openPackage(fx.packages.v3);
  t.deepEqual(
    sub.manifest.modalities.map((m) => m.id),
    ['optical', 'sar-l2'],
  );
  for (const [path, rec] of Object.entries(sub.manifest.files))
    t.is(rec.sha256, full.manifest.files[path]!.sha256, path);
  const c = namedConfig('ringmoe-tiny');
  t.is(
    sub.manifest.model.params.backbone,
    backboneParams(c, { ...fullSelection(c), modalities: ['optical', 'sar-l2'] }).total,
  );
});

test('a bundle lists every package file plus ringmoe.json, one blob per distinct content, and verifies', async (t) => {
  const fx = await otaFixture();
  const b = await openBundleDir(fx.bundles.v3);
  const pkg = await openPackage(fx.packages.v3);
  t.is(b.manifest.files.length, Object.keys(pkg.manifest.files).length + 1);
  t.is(b.manifest.package.manifestSha256, pkg.packageHash);
  t.deepEqual(
    b.manifest.entries,
    pkg.manifest.entries.map((e) => e.name),
  );
  t.is(b.manifest.target, TARGET);
  checkBundleMatchesPackage(b.manifest, await readFile(join(pkg.dir, 'ringmoe.json')));
  const report = await verifyBundleDir(fx.bundles.v3, { trust: fx.trustFile, target: TARGET });
  t.like(report, { name: 'drone-optical', version: '2.1.0', files: b.manifest.files.length });
  t.is(report.blobs, new Set(b.manifest.files.map((f) => f.sha256)).size);
});

test('the expert-add delta (optical → optical + SAR-L2) is exactly the SAR-L2 experts, embedding, router, graphs and fusion, plus the new package manifest', async (t) => {
  const fx = await otaFixture();
  const v2 = await openBundleDir(fx.bundles.v2);
  const v3 = await openBundleDir(fx.bundles.v3);
  const d = bundleDelta(
    v3.manifest,
    v2.manifest.files.map((f) => f.sha256),
  );
  t.true(d.paths.includes('ringmoe.json'));
  t.true(d.paths.includes('weights/embed.sar-l2.bin'));
  t.is(d.paths.filter((p) => /modal\.sar-l2\.\d\.bin$/.test(p)).length, 5 * 4, '4 SAR-L2 experts in each of 5 blocks');
  t.is(d.paths.filter((p) => /router\.modal\.sar-l2\.bin$/.test(p)).length, 5);
  t.true(
    d.paths.every((p) => /sar-l2|fusion|^ringmoe\.json$/.test(p)),
    d.paths.join(', '),
  );
  t.false(
    d.paths.some((p) => /modal\.optical|collaborative|shared|trunk/.test(p)),
    'nothing the device has travels again',
  );
  t.true(d.bytesNeeded < d.bytesTotal);
});

test('EXPECTED FAILURE - bundling refuses bad versions, a target the package was not built for, links, half-written packages and existing output', async (t) => {
  const fx = await otaFixture();
  t.is(await code(bundlePlan({ packageDir: fx.packages.v1, version: 'latest', target: TARGET })), 'E_INVALID_ARGUMENT');
  t.is(
    await code(bundlePlan({ packageDir: fx.packages.v1, version: '1.0.0', target: 'no spaces allowed' })),
    'E_INVALID_ARGUMENT',
  );
  const tagged = join(tempDir('pack'), 'pkg');
  await cp(fx.packages.v1, tagged, { recursive: true });
  const m = JSON.parse(await readFile(join(tagged, 'ringmoe.json'), 'utf8'));
  await writeFile(
    join(tagged, 'ringmoe.json'),
    JSON.stringify({ ...m, extensions: { target: 'jetson-orin-nano-8gb' } }),
  );
  t.is(await code(bundlePlan({ packageDir: tagged, version: '1.0.0', target: TARGET })), 'E_TARGET_MISMATCH');
  const linked = join(tempDir('pack'), 'pkg');
  await cp(fx.packages.v1, linked, { recursive: true });
  await rm(join(linked, 'weights', 'trunk.bin'));
  await symlink(join(fx.packages.v1, 'weights', 'trunk.bin'), join(linked, 'weights', 'trunk.bin'));
  t.is(await code(bundlePlan({ packageDir: linked, version: '1.0.0', target: TARGET })), 'E_PATH_UNSAFE');
  const half = join(tempDir('pack'), 'pkg');
  await cp(fx.packages.v1, half, { recursive: true });
  await writeFile(join(half, '.incomplete'), '');
  t.is(await code(bundlePlan({ packageDir: half, version: '1.0.0', target: TARGET })), 'E_PACKAGE_INCOMPLETE');
  const plan = await bundlePlan({ packageDir: fx.packages.v1, version: '1.0.0', target: TARGET });
  t.is(await code(applyBundlePlan(plan, fx.bundles.v1)), 'E_OUTPUT_EXISTS');
});

test('EXPECTED FAILURE - verify refuses unsigned, untrusted, damaged and half-written bundles, and needs a trust anchor', async (t) => {
  const fx = await otaFixture();
  const copy = async () => {
    const d = join(tempDir('verify'), 'b');
    await cp(fx.bundles.v1, d, { recursive: true });
    return d;
  };
  t.is(await code(verifyBundleDir(fx.bundles.v1, {})), 'E_INVALID_ARGUMENT');
  const unsigned = await copy();
  await rm(join(unsigned, 'bundle.sig'));
  t.is(await code(verifyBundleDir(unsigned, { trust: fx.trustFile })), 'E_SIGNATURE');
  const keys = await generateKeyFiles(join(tempDir('verify'), 'other'));
  t.is(await code(verifyBundleDir(fx.bundles.v1, { publicKey: keys.publicKey })), 'E_UNTRUSTED_KEY');
  const damaged = await copy();
  const b = await openBundleDir(damaged);
  const victim = b.blobPath(b.manifest.files[3]!.sha256);
  const bytes = await readFile(victim);
  await rm(victim);
  bytes[0] = bytes[0]! ^ 1;
  await writeFile(victim, bytes);
  t.is(await code(verifyBundleDir(damaged, { trust: fx.trustFile })), 'E_BLOB_HASH');
  await rm(victim);
  t.is(await code(verifyBundleDir(damaged, { trust: fx.trustFile })), 'E_BLOB_MISSING');
  const half = await copy();
  await writeFile(join(half, '.incomplete'), '');
  t.is(await code(verifyBundleDir(half, { trust: fx.trustFile })), 'E_PACKAGE_INCOMPLETE');
  t.is(await code(verifyBundleDir(fx.bundles.v1, { trust: fx.trustFile, target: 'jetson-nano' })), 'E_TARGET_MISMATCH');
});

test('keys: the private key is 0600, never overwritten without force; trust files accumulate keys with roles', async (t) => {
  const dir = tempDir('keys');
  const a = await generateKeyFiles(join(dir, 'release'));
  t.is((await stat(a.privateKey)).mode & 0o777, 0o600);
  t.is(await code(generateKeyFiles(join(dir, 'release'))), 'E_OUTPUT_EXISTS');
  const b = await generateKeyFiles(join(dir, 'operator'));
  await addToTrustFile(join(dir, 'trust.json'), a.publicKey, ['bundle']);
  await addToTrustFile(join(dir, 'trust.json'), b.publicKey, ['desired'], 'ops');
  await addToTrustFile(join(dir, 'trust.json'), a.publicKey, ['bundle', 'desired'], 'release');
  const trust = await TrustStore.load(join(dir, 'trust.json'));
  t.deepEqual(
    trust
      .list()
      .map((k) => [k.name, k.roles.join('+')])
      .sort(),
    [
      ['ops', 'desired'],
      ['release', 'bundle+desired'],
    ],
  );
  t.is(await code(loadPrivateKey(a.publicKey)), 'E_SIGNATURE');
  t.is(await code(loadPrivateKey(join(dir, 'absent.key'))), 'E_FILE_NOT_FOUND');
});
