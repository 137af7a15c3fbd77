/**
 * Malicious and corrupt updates against one device that runs v1 under a continuous frame stream.
 * Each must be refused with its error code, leave the pointer and the installed slots as they
 * were, and never interrupt the stream. Forged bundles are served by a plain HTTP server that
 * sends exactly the bytes the attack needs.
 */
import test from 'ava';
import { createHash, type KeyObject } from 'node:crypto';
import { cp, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { UpdateOutcome } from '../../../sdk/ota/agent/agent-states.js';
import type { BundleManifest } from '../../../sdk/ota/bundle/bundle-manifest.js';
import { signDocument, type SignatureRecord } from '../../../sdk/core/signing/signature.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { startBlobServer } from '../../../tools/bundle/blob-server.js';
import { tempDir } from '../../helpers/packages.js';
import {
  desiredMessage,
  nextSeq,
  otaFixture,
  rawDesired,
  startDevice,
  startRawServer,
  startStream,
  TARGET,
  type OtaFixture,
  type TestDevice,
} from '../ota/fixtures.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Ctx {
  fx: OtaFixture;
  dev: TestDevice;
  v1: string;
  stream: ReturnType<typeof startStream>;
  blobs: Map<string, Buffer>;
  server: Awaited<ReturnType<typeof startRawServer>>;
}
let ctx: Ctx;

test.before(async () => {
  const fx = await otaFixture();
  const dev = await startDevice(fx, { agent: { limits: { totalBytes: 64 << 20 } } });
  const out = await dev.agent.installFromDirectory(fx.bundles.v1);
  if (out.result !== 'installed') throw new Error(`v1 did not install: ${out.message}`);
  const blobs = new Map<string, Buffer>();
  const v2 = await openBundleDir(fx.bundles.v2);
  for (const f of v2.manifest.files) blobs.set(f.sha256, await readFile(v2.blobPath(f.sha256)));
  ctx = {
    fx,
    dev,
    v1: dev.agent.report().current!.manifest,
    stream: startStream(dev.host, 'optical', 2),
    blobs,
    server: await startRawServer(blobs),
  };
});

test.after.always(async () => {
  if (!ctx) return;
  await ctx.stream.stop();
  await ctx.server.close();
  await ctx.dev.close();
});

/** A v2 manifest, changed by `mutate`, signed by `key` (the release key by default). */
async function forge(
  mutate: (m: BundleManifest) => void = () => {},
  o: { key?: KeyObject; bytes?: Buffer; base?: string } = {},
) {
  const base = await openBundleDir(o.base ?? ctx.fx.bundles.v2);
  const m = JSON.parse(base.manifestBytes.toString('utf8')) as BundleManifest;
  mutate(m);
  const bytes = o.bytes ?? Buffer.from(JSON.stringify(m, null, 2));
  const signature = signDocument('bundle', bytes, o.key ?? ctx.fx.keys.release);
  ctx.blobs.set(sha(bytes), bytes);
  for (const f of base.manifest.files)
    if (!ctx.blobs.has(f.sha256)) ctx.blobs.set(f.sha256, await readFile(base.blobPath(f.sha256)));
  return { m, bytes, sha: sha(bytes), signature };
}

/** A desired state for a forged manifest; `claims` overrides what it says about the bundle. */
function desire(
  f: { m: BundleManifest; bytes: Buffer; sha: string; signature: SignatureRecord },
  claims: Record<string, unknown> = {},
  o: { key?: KeyObject; fleet?: string; seq?: number; expiresAt?: string } = {},
) {
  return rawDesired(
    {
      ...(o.fleet ? { fleet: o.fleet } : {}),
      ...(o.seq !== undefined ? { seq: o.seq } : {}),
      ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
      bundle: {
        name: f.m.name ?? 'x',
        version: f.m.version ?? '2.0.0',
        target: f.m.target ?? TARGET,
        manifestSha256: f.sha,
        manifestSize: f.bytes.length,
        signature: f.signature,
        ...claims,
      } as never,
      sources: { http: [ctx.server.url] },
    },
    o.key ?? ctx.fx.keys.operator,
  );
}

/** Sends `attempt`, expects a rejection with `code`, and checks the device kept serving v1. */
async function refused(
  t: import('ava').ExecutionContext,
  attempt: () => Promise<UpdateOutcome>,
  code: string,
  message?: RegExp,
): Promise<void> {
  const log = ctx.stream.log;
  const before = log.results.length;
  const errorsBefore = log.errors.length;
  const v1Blobs = (await ctx.dev.store.listBlobs()).length;
  const outcome = await attempt();
  t.is(outcome.result, 'rejected', `${outcome.result}: ${outcome.message}`);
  t.is(outcome.code, code, outcome.message);
  if (message) t.regex(outcome.message ?? '', message);
  const pointer = await ctx.dev.store.readPointer();
  t.is(pointer?.current, ctx.v1);
  t.falsy(pointer?.trial);
  t.deepEqual(await ctx.dev.store.listSlots(), [ctx.v1], 'nothing was staged');
  if (code !== 'E_BLOB_MISSING')
    t.is((await ctx.dev.store.listBlobs()).length, v1Blobs, 'a refused bundle leaves no blob behind');
  else await ctx.dev.store.collectGarbage(); // a link failure keeps its progress for a retry; start the next case clean
  t.is(ctx.dev.agent.state, 'idle');
  t.is(ctx.dev.agent.report().outcome?.code, code, 'the rejection is reported');
  while (log.results.length < before + 3) await new Promise((r) => setTimeout(r, 5));
  t.true(
    log.results.slice(before).every((r) => r.model === ctx.v1),
    'every frame meanwhile was served by v1',
  );
  t.is(log.errors.length, errorsBefore, 'no frame failed');
}

const send = (msg: Buffer) => () => ctx.dev.agent.handleDesired(msg);

test.serial('bad signature: the signature bytes are altered (E_SIGNATURE)', async (t) => {
  const f = await forge();
  const raw = Buffer.from(f.signature.signature, 'base64');
  raw[10] = raw[10]! ^ 0xff;
  await refused(
    t,
    send(desire(f, { signature: { ...f.signature, signature: raw.toString('base64') } })),
    'E_SIGNATURE',
    /does not match its signature/,
  );
});

test.serial('the manifest was changed after it was signed (E_SIGNATURE)', async (t) => {
  const f = await forge();
  const changed = Buffer.from(
    f.bytes
      .toString('utf8')
      .replace('"notes"', '"notes"')
      .replace('"totalSize"', '"notes": "free upgrade", "totalSize"'),
  );
  ctx.blobs.set(sha(changed), changed);
  await refused(t, send(desire({ ...f, bytes: changed, sha: sha(changed) })), 'E_SIGNATURE');
});

test.serial('bundle signed by a key nobody trusts (E_UNTRUSTED_KEY)', async (t) => {
  await refused(
    t,
    send(desire(await forge(() => {}, { key: ctx.fx.keys.rogue }))),
    'E_UNTRUSTED_KEY',
    /does not trust/,
  );
});

test.serial(
  'bundle signed by the operator key, which is trusted for desired states only (E_UNTRUSTED_KEY)',
  async (t) => {
    await refused(
      t,
      send(desire(await forge(() => {}, { key: ctx.fx.keys.operator }))),
      'E_UNTRUSTED_KEY',
      /not for signing bundles/,
    );
  },
);

test.serial('desired state signed by a key nobody trusts (E_UNTRUSTED_KEY)', async (t) => {
  await refused(t, send(desire(await forge(), {}, { key: ctx.fx.keys.rogue })), 'E_UNTRUSTED_KEY');
});

test.serial(
  'desired state signed by the release key, which is trusted for bundles only (E_UNTRUSTED_KEY)',
  async (t) => {
    await refused(
      t,
      send(desire(await forge(), {}, { key: ctx.fx.keys.release })),
      'E_UNTRUSTED_KEY',
      /not for signing desired states/,
    );
  },
);

test.serial(
  'desired state altered after signing: another bundle hash under the old signature (E_SIGNATURE)',
  async (t) => {
    const env = JSON.parse(desire(await forge()).toString('utf8')) as { payload: string; signature: unknown };
    const payload = JSON.parse(env.payload) as { bundle: { manifestSha256: string } };
    payload.bundle.manifestSha256 = 'f'.repeat(64);
    await refused(
      t,
      send(Buffer.from(JSON.stringify({ payload: JSON.stringify(payload), signature: env.signature }))),
      'E_SIGNATURE',
    );
  },
);

test.serial('unsigned desired state (E_SIGNATURE)', async (t) => {
  const env = JSON.parse(desire(await forge()).toString('utf8')) as { payload: string };
  await refused(t, send(Buffer.from(JSON.stringify({ payload: env.payload }))), 'E_SIGNATURE', /not signed/);
});

async function withBlob(
  path: string,
  change: (b: Buffer) => Buffer | undefined,
  code: string,
  message: RegExp,
  t: import('ava').ExecutionContext,
) {
  const f = await forge();
  const file = f.m.files.find((x) => x.path === path)!;
  const original = ctx.blobs.get(file.sha256)!;
  const changed = change(Buffer.from(original));
  if (changed) ctx.blobs.set(file.sha256, changed);
  else ctx.blobs.delete(file.sha256);
  try {
    await refused(t, send(desire(f)), code, message);
  } finally {
    ctx.blobs.set(file.sha256, original);
  }
}

test.serial('tampered expert blob: same size, other bytes (E_BLOB_HASH)', async (t) => {
  await withBlob(
    'weights/s2.b0/modal.optical.1.bin',
    (b) => ((b[100] = b[100]! ^ 0x55), b),
    'E_BLOB_HASH',
    /modal\.optical\.1\.bin.*sha256/,
    t,
  );
});

test.serial('truncated blob (E_BLOB_HASH)', async (t) => {
  await withBlob('weights/trunk.bin', (b) => b.subarray(0, b.length - 1000), 'E_BLOB_HASH', /trunk\.bin/, t);
});

test.serial('blob padded with extra bytes: the download is cut off at the listed size (E_BLOB_HASH)', async (t) => {
  await withBlob(
    'optical.onnx',
    (b) => Buffer.concat([b, Buffer.alloc(4096, 7)]),
    'E_BLOB_HASH',
    /more than the \d+ bytes/,
    t,
  );
});

test.serial('missing blob: the server does not have it (E_BLOB_MISSING)', async (t) => {
  await withBlob(
    'weights/s4.b0/shared.bin',
    () => undefined,
    'E_BLOB_MISSING',
    /shared\.bin cannot be fetched.*404/,
    t,
  );
});

test.serial('wrong target: refused before a byte is fetched (E_TARGET_MISMATCH)', async (t) => {
  const f = await forge((m) => (m.target = 'jetson-agx-orin-64gb'));
  const requests = ctx.server.requests.length;
  await refused(t, send(desire(f)), 'E_TARGET_MISMATCH', /jetson-agx-orin-64gb/);
  t.is(ctx.server.requests.length, requests, 'nothing was downloaded');
});

test.serial('mix-and-match: the manifest names another target than the desired state (E_BUNDLE_INVALID)', async (t) => {
  const f = await forge((m) => (m.target = 'jetson-agx-orin-64gb'));
  await refused(t, send(desire(f, { target: TARGET })), 'E_BUNDLE_INVALID', /target/);
});

test.serial('downgrade: 0.9.0 while 1.0.0 runs (E_DOWNGRADE)', async (t) => {
  await refused(t, send(desire(await forge((m) => (m.version = '0.9.0')))), 'E_DOWNGRADE', /older than the installed/);
});

test.serial('the running version with other content (E_DOWNGRADE)', async (t) => {
  await refused(
    t,
    send(desire(await forge((m) => (m.version = '1.0.0')))),
    'E_DOWNGRADE',
    /already installed but other content/,
  );
});

test.serial('replayed old desired state: an older seq after a newer one was processed (E_REPLAY)', async (t) => {
  const old = await desiredMessage(ctx.fx, ctx.fx.bundles.v2, { http: [ctx.server.url] });
  const current = await ctx.dev.agent.handleDesired(
    await desiredMessage(ctx.fx, ctx.fx.bundles.v1, { http: [ctx.server.url] }),
  );
  t.is(current.result, 'unchanged');
  await refused(t, send(old), 'E_REPLAY', /older than seq/);
});

test.serial('a processed seq naming another bundle (E_REPLAY)', async (t) => {
  const seq = nextSeq();
  t.is(
    (await ctx.dev.agent.handleDesired(await desiredMessage(ctx.fx, ctx.fx.bundles.v1, { seq }))).result,
    'unchanged',
  );
  await refused(
    t,
    send(await desiredMessage(ctx.fx, ctx.fx.bundles.v2, { seq, http: [ctx.server.url] })),
    'E_REPLAY',
    /already processed for another bundle/,
  );
});

test.serial('expired desired state (E_REPLAY)', async (t) => {
  await refused(
    t,
    send(desire(await forge(), {}, { expiresAt: new Date(Date.now() - 60_000).toISOString() })),
    'E_REPLAY',
    /expired/,
  );
});

test.serial('desired state for another fleet (E_TARGET_MISMATCH)', async (t) => {
  await refused(t, send(desire(await forge(), {}, { fleet: 'south' })), 'E_TARGET_MISMATCH', /fleet south/);
});

test.serial("path traversal: a file at '../../x' (E_PATH_UNSAFE)", async (t) => {
  await refused(
    t,
    send(desire(await forge((m) => (m.files[5]!.path = '../../../etc/evil.bin')))),
    'E_PATH_UNSAFE',
    /evil\.bin/,
  );
});

test.serial('absolute path (E_PATH_UNSAFE)', async (t) => {
  await refused(t, send(desire(await forge((m) => (m.files[5]!.path = '/etc/cron.d/evil')))), 'E_PATH_UNSAFE');
});

test.serial('a blob that is a symlink in a side-loaded bundle directory (E_PATH_UNSAFE)', async (t) => {
  const dir = join(tempDir('evil'), 'bundle');
  await cp(ctx.fx.bundles.v2, dir, { recursive: true });
  const b = await openBundleDir(dir);
  const victim = b.manifest.files.find((f) => f.path === 'weights/s1.b0/shared.bin')!;
  await rm(b.blobPath(victim.sha256));
  await symlink('/etc/hostname', b.blobPath(victim.sha256));
  await refused(t, () => ctx.dev.agent.installFromDirectory(dir), 'E_PATH_UNSAFE', /not a regular file/);
});

test.serial('a side-loaded bundle whose bundle.json is a symlink (E_PATH_UNSAFE)', async (t) => {
  const dir = join(tempDir('evil'), 'bundle');
  await cp(ctx.fx.bundles.v2, dir, { recursive: true });
  await rm(join(dir, 'bundle.json'));
  await symlink(join(ctx.fx.bundles.v2, 'bundle.json'), join(dir, 'bundle.json'));
  await refused(t, () => ctx.dev.agent.installFromDirectory(dir), 'E_PATH_UNSAFE');
});

test.serial('a side-loaded bundle whose blobs/ directory is a link to another bundle (E_PATH_UNSAFE)', async (t) => {
  const dir = join(tempDir('evil'), 'bundle');
  await cp(ctx.fx.bundles.v2, dir, { recursive: true });
  await rm(join(dir, 'blobs'), { recursive: true });
  await symlink(join(ctx.fx.bundles.v2, 'blobs'), join(dir, 'blobs'));
  await refused(t, () => ctx.dev.agent.installFromDirectory(dir), 'E_PATH_UNSAFE', /symbolic link/);
});

test.serial('a side-loaded bundle whose bundle.sig is a link to /dev/zero (E_PATH_UNSAFE, nothing read)', async (t) => {
  const dir = join(tempDir('evil'), 'bundle');
  await cp(ctx.fx.bundles.v2, dir, { recursive: true });
  await rm(join(dir, 'bundle.sig'));
  await symlink('/dev/zero', join(dir, 'bundle.sig'));
  await refused(t, () => ctx.dev.agent.installFromDirectory(dir), 'E_PATH_UNSAFE');
});

test.serial('oversized manifest: over the 1 MiB limit, refused before it is fetched (E_BUNDLE_INVALID)', async (t) => {
  const f = await forge((m) => Object.assign(m, { padding: 'x'.repeat(1_200_000) }));
  const requests = ctx.server.requests.length;
  await refused(t, send(desire(f)), 'E_BUNDLE_INVALID', /limit is 1048576/);
  t.is(ctx.server.requests.length, requests);
});

test.serial('a manifest larger than the desired state says: the download is cut off (E_BLOB_HASH)', async (t) => {
  const f = await forge((m) => Object.assign(m, { padding: 'x'.repeat(500_000) }));
  await refused(t, send(desire(f, { manifestSize: 2000 })), 'E_BLOB_HASH');
});

test.serial('the served manifest is not the one the desired state names (E_BLOB_HASH)', async (t) => {
  const f = await forge();
  const other = await forge((m) => (m.notes = 'another manifest'));
  ctx.blobs.set(f.sha, other.bytes);
  await refused(t, send(desire(f, { manifestSize: other.bytes.length })), 'E_BLOB_HASH');
});

test.serial('duplicate entries: one path listed twice (E_BUNDLE_INVALID)', async (t) => {
  await refused(
    t,
    send(desire(await forge((m) => m.files.push({ ...m.files[3]! })))),
    'E_BUNDLE_INVALID',
    /listed twice/,
  );
});

test.serial('paths that differ only in case (E_BUNDLE_INVALID)', async (t) => {
  await refused(
    t,
    send(desire(await forge((m) => m.files.push({ ...m.files[3]!, path: m.files[3]!.path.toUpperCase() })))),
    'E_BUNDLE_INVALID',
    /differ only in case/,
  );
});

test.serial('needs a newer SDK (E_SDK_VERSION)', async (t) => {
  await refused(
    t,
    send(desire(await forge((m) => (m.minSdkVersion = '99.0.0')))),
    'E_SDK_VERSION',
    /needs SDK 99\.0\.0/,
  );
});

test.serial('more than the device can store (E_BUNDLE_INVALID)', async (t) => {
  const f = await forge((m) => {
    m.files[4]!.size = 200 << 20;
    m.totalSize += 200 << 20;
  });
  await refused(t, send(desire(f)), 'E_BUNDLE_INVALID', /accepts at most 67108864/);
});

test.serial('the bundle lists a file its package manifest does not have (E_BUNDLE_INVALID)', async (t) => {
  const extra = Buffer.from('smuggled payload');
  ctx.blobs.set(sha(extra), extra);
  const f = await forge((m) => {
    m.files.push({ path: 'weights/smuggled.bin', sha256: sha(extra), size: extra.length, role: 'weights' });
    m.totalSize += extra.length;
  });
  await refused(t, send(desire(f)), 'E_BUNDLE_INVALID', /not part of the package/);
});

test.serial('a signed manifest that is not JSON (E_BUNDLE_INVALID)', async (t) => {
  await refused(
    t,
    send(desire(await forge(() => {}, { bytes: Buffer.from('<bundle version="9"/>') }))),
    'E_BUNDLE_INVALID',
    /not JSON/,
  );
});

test.serial('a desired-state message that is not JSON (E_BUNDLE_INVALID)', async (t) => {
  await refused(t, send(Buffer.from('\x00\x01garbage')), 'E_BUNDLE_INVALID');
});

test.serial('after every refusal the device still takes a valid update', async (t) => {
  const server = await startBlobServer([await openBundleDir(ctx.fx.bundles.v2)]);
  try {
    const out = await ctx.dev.agent.handleDesired(
      await desiredMessage(ctx.fx, ctx.fx.bundles.v2, { http: [server.url] }),
    );
    t.is(out.result, 'installed', out.message);
    t.is(ctx.dev.agent.report().current?.version, '2.0.0');
    t.deepEqual(ctx.stream.log.errors, []);
  } finally {
    await server.close();
  }
});
