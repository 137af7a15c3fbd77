/**
 * The SlotStore contract: every implementation runs this suite (memory and filesystem runners
 * beside it). Bundles here are small but real bundle manifests over real bytes.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { createHash } from 'node:crypto';
import { BUNDLE_FORMAT, type BundleFile, type BundleManifest } from '../../sdk/ota/bundle/bundle-manifest.js';
import type { SlotStore } from '../../sdk/ota/slots/slot-store.js';

/** Makes a fresh, empty store; `dispose` closes it and removes what it wrote. */
export type StoreFactory = () => Promise<{ store: SlotStore; dispose: () => Promise<void> }>;

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** A bundle manifest over `files` (path → content), plus its id and the files list. */
export function makeBundle(
  files: Record<string, string>,
  version = '1.0.0',
): { id: string; bytes: Buffer; files: BundleFile[]; blobs: Map<string, Buffer> } {
  const all = { 'ringmoe.json': `{"name":"contract-${version}"}`, ...files };
  const blobs = new Map<string, Buffer>();
  const list: BundleFile[] = Object.entries(all).map(([path, content]) => {
    const b = Buffer.from(content);
    blobs.set(sha(b), b);
    return { path, sha256: sha(b), size: b.length, role: path === 'ringmoe.json' ? 'manifest' : 'weights' };
  });
  const m: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: 1,
    name: 'contract',
    version,
    target: 'cpu-x86-64-onnxruntime',
    modalities: ['optical'],
    tasks: ['classification'],
    entries: ['optical'],
    minSdkVersion: '0.1.0',
    package: { name: 'contract', manifestSha256: list[0]!.sha256 },
    files: list,
    totalSize: list.reduce((s, f) => s + f.size, 0),
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const bytes = Buffer.from(JSON.stringify(m));
  return { id: sha(bytes), bytes, files: list, blobs };
}

async function putBlobs(store: SlotStore, blobs: Map<string, Buffer>): Promise<void> {
  for (const [h, b] of blobs) {
    const w = await store.openBlobWriter(h);
    await w.write(b);
    await w.commit(b.length);
  }
}

/** Registers the contract tests for one implementation. */
export function slotStoreContract(test: TestFn, name: string, make: StoreFactory): void {
  const withStore = (title: string, fn: (t: ExecutionContext, store: SlotStore) => Promise<void>) =>
    test(`${name}: ${title}`, async (t) => {
      const { store, dispose } = await make();
      try {
        await fn(t, store);
      } finally {
        await dispose();
      }
    });

  withStore('a committed blob is visible and reads back byte for byte', async (t, store) => {
    const b = Buffer.from('expert weights of s1.b0/modal.sar-l2.0');
    t.false(await store.hasBlob(sha(b)));
    const w = await store.openBlobWriter(sha(b));
    t.is(w.offset, 0);
    await w.write(b.subarray(0, 10));
    await w.write(b.subarray(10));
    t.false(await store.hasBlob(sha(b)), 'not visible before commit');
    await w.commit(b.length);
    t.true(await store.hasBlob(sha(b)));
    t.deepEqual(await store.listBlobs(), [sha(b)]);
    t.deepEqual(Buffer.from(await store.readBlob(sha(b), 1024)), b);
  });

  withStore('a download resumes where a closed writer stopped', async (t, store) => {
    const b = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    const w1 = await store.openBlobWriter(sha(b));
    await w1.write(b.subarray(0, 7));
    await w1.close();
    await w1.close(); // idempotent
    const w2 = await store.openBlobWriter(sha(b));
    t.is(w2.offset, 7);
    await w2.write(b.subarray(7));
    await w2.commit(b.length);
    t.true(await store.hasBlob(sha(b)));
  });

  withStore('reset drops received bytes and starts again at 0', async (t, store) => {
    const b = Buffer.from('restart from zero when the server ignores Range');
    const w = await store.openBlobWriter(sha(b));
    await w.write(Buffer.from('garbage'));
    await w.reset();
    t.is(w.offset, 0);
    await w.write(b);
    await w.commit(b.length);
    t.true(await store.hasBlob(sha(b)));
  });

  withStore(
    'EXPECTED FAILURE - a tampered blob is refused with E_BLOB_HASH, stays invisible and its partial is dropped',
    async (t, store) => {
      const b = Buffer.from('the real expert');
      const w = await store.openBlobWriter(sha(b));
      await w.write(Buffer.from('the fake expert'));
      const err = await t.throwsAsync(w.commit(b.length));
      t.is((err as { code?: string }).code, 'E_BLOB_HASH');
      t.false(await store.hasBlob(sha(b)));
      const again = await store.openBlobWriter(sha(b));
      t.is(again.offset, 0);
      await again.close();
    },
  );

  withStore('EXPECTED FAILURE - a truncated blob is refused with E_BLOB_HASH naming the sizes', async (t, store) => {
    const b = Buffer.from('a blob cut short by a dropped link');
    const w = await store.openBlobWriter(sha(b));
    await w.write(b.subarray(0, 10));
    const err = await t.throwsAsync(w.commit(b.length));
    t.is((err as { code?: string }).code, 'E_BLOB_HASH');
    t.regex((err as Error).message, /10 bytes, expected 34/);
  });

  withStore(
    'EXPECTED FAILURE - reading an absent blob is E_BLOB_MISSING; one over the size cap is E_BUNDLE_INVALID',
    async (t, store) => {
      const b = Buffer.from('x'.repeat(100));
      t.is(((await t.throwsAsync(store.readBlob(sha(b), 1000))) as { code?: string }).code, 'E_BLOB_MISSING');
      await putBlobs(store, new Map([[sha(b), b]]));
      t.is(((await t.throwsAsync(store.readBlob(sha(b), 99))) as { code?: string }).code, 'E_BUNDLE_INVALID');
    },
  );

  withStore('BAD CALL - blob and slot ids must be sha256 hex (E_INVALID_ARGUMENT)', async (t, store) => {
    for (const bad of ['../../etc/passwd', 'ABC', '', 'g'.repeat(64)]) {
      const err = await t.throwsAsync(store.openBlobWriter(bad));
      t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT', bad);
      t.is(((await t.throwsAsync(store.hasSlot(bad))) as { code?: string }).code, 'E_INVALID_ARGUMENT');
    }
  });

  withStore('a staged slot holds every file at its path, verifies, and keeps its bundle manifest', async (t, store) => {
    const b = makeBundle({
      'optical.onnx': 'graph',
      'weights/s1.b0/shared.bin': 'shared expert',
      'weights/s1.b0/modal.optical.0.bin': 'modal expert',
    });
    await putBlobs(store, b.blobs);
    await store.stageSlot(b.id, b.bytes, b.files);
    t.true(await store.hasSlot(b.id));
    t.deepEqual(await store.listSlots(), [b.id]);
    t.is(Buffer.from(await store.readSlotFile(b.id, 'weights/s1.b0/shared.bin')).toString(), 'shared expert');
    t.deepEqual(Buffer.from(await store.readSlotBundle(b.id)), b.bytes);
    await store.verifySlot(b.id);
    await store.stageSlot(b.id, b.bytes, b.files); // already there: no-op
    t.deepEqual(await store.listSlots(), [b.id]);
  });

  withStore('EXPECTED FAILURE - staging with a blob missing is E_BLOB_MISSING and leaves no slot', async (t, store) => {
    const b = makeBundle({ 'optical.onnx': 'graph', 'weights/x.bin': 'never downloaded' });
    const some = new Map([...b.blobs].filter(([, v]) => v.toString() !== 'never downloaded'));
    await putBlobs(store, some);
    const err = await t.throwsAsync(store.stageSlot(b.id, b.bytes, b.files));
    t.is((err as { code?: string }).code, 'E_BLOB_MISSING');
    t.regex((err as Error).message, /weights\/x\.bin/);
    t.false(await store.hasSlot(b.id));
    t.deepEqual(await store.listSlots(), []);
  });

  withStore('EXPECTED FAILURE - staging a path that leaves the slot is E_PATH_UNSAFE', async (t, store) => {
    const b = makeBundle({ 'optical.onnx': 'graph' });
    await putBlobs(store, b.blobs);
    for (const path of ['../escape.bin', '/etc/passwd', 'a/../../b', 'weights\\x.bin']) {
      const files = [...b.files, { ...b.files[1]!, path }];
      const err = await t.throwsAsync(store.stageSlot(b.id, b.bytes, files));
      t.is((err as { code?: string }).code, 'E_PATH_UNSAFE', path);
    }
    t.false(await store.hasSlot(b.id));
  });

  withStore('the pointer is absent at first, then reads back what was written', async (t, store) => {
    t.is(await store.readPointer(), undefined);
    const a = makeBundle({ 'optical.onnx': 'v1' }, '1.0.0');
    const b = makeBundle({ 'optical.onnx': 'v2' }, '2.0.0');
    await putBlobs(store, new Map([...a.blobs, ...b.blobs]));
    await store.stageSlot(a.id, a.bytes, a.files);
    await store.stageSlot(b.id, b.bytes, b.files);
    await store.writePointer({ current: a.id, at: '2026-01-01T00:00:00.000Z' });
    t.deepEqual(await store.readPointer(), { current: a.id, at: '2026-01-01T00:00:00.000Z' });
    await store.writePointer({ current: b.id, previous: a.id, trial: true, at: '2026-01-02T00:00:00.000Z' });
    t.deepEqual(await store.readPointer(), {
      current: b.id,
      previous: a.id,
      trial: true,
      at: '2026-01-02T00:00:00.000Z',
    });
  });

  withStore(
    'BAD CALL - a pointer to an absent slot, or a trial without a previous slot, is E_INVALID_ARGUMENT',
    async (t, store) => {
      const a = makeBundle({ 'optical.onnx': 'v1' });
      t.is(
        ((await t.throwsAsync(store.writePointer({ current: a.id, at: 'now' }))) as { code?: string }).code,
        'E_INVALID_ARGUMENT',
      );
      await putBlobs(store, a.blobs);
      await store.stageSlot(a.id, a.bytes, a.files);
      t.is(
        ((await t.throwsAsync(store.writePointer({ current: a.id, trial: true, at: 'now' }))) as { code?: string })
          .code,
        'E_INVALID_ARGUMENT',
      );
      t.is(await store.readPointer(), undefined);
    },
  );

  withStore('BAD CALL - removing a slot the pointer names is E_INVALID_ARGUMENT; others go', async (t, store) => {
    const a = makeBundle({ 'optical.onnx': 'v1' }, '1.0.0');
    const b = makeBundle({ 'optical.onnx': 'v2' }, '2.0.0');
    await putBlobs(store, new Map([...a.blobs, ...b.blobs]));
    await store.stageSlot(a.id, a.bytes, a.files);
    await store.stageSlot(b.id, b.bytes, b.files);
    await store.writePointer({ current: a.id, at: 'now' });
    t.is(((await t.throwsAsync(store.removeSlot(a.id))) as { code?: string }).code, 'E_INVALID_ARGUMENT');
    await store.removeSlot(b.id);
    t.deepEqual(await store.listSlots(), [a.id]);
  });

  withStore('the agent record round-trips as JSON', async (t, store) => {
    t.is(await store.readRecord(), undefined);
    const rec = { state: 'downloading', seq: 17, progress: { bytes: 4096 } };
    await store.writeRecord(rec);
    t.deepEqual(await store.readRecord(), rec);
  });

  withStore(
    'garbage collection keeps the pointer slots and their blobs (shared ones too), drops the rest',
    async (t, store) => {
      const shared = 'shared expert used by v1, v2 and v3';
      const v1 = makeBundle(
        { 'optical.onnx': 'g', 'weights/shared.bin': shared, 'weights/only-v1.bin': 'v1 expert' },
        '1.0.0',
      );
      const v2 = makeBundle(
        { 'optical.onnx': 'g', 'weights/shared.bin': shared, 'weights/only-v2.bin': 'v2 expert' },
        '2.0.0',
      );
      const v3 = makeBundle(
        { 'optical.onnx': 'g', 'weights/shared.bin': shared, 'weights/only-v3.bin': 'v3 expert' },
        '3.0.0',
      );
      for (const v of [v1, v2, v3]) {
        await putBlobs(store, v.blobs);
        await store.stageSlot(v.id, v.bytes, v.files);
      }
      const partial = await store.openBlobWriter(sha('half'));
      await partial.write(Buffer.from('ha'));
      await partial.close();
      await store.writePointer({ current: v3.id, previous: v2.id, at: 'now' });
      const report = await store.collectGarbage();
      t.deepEqual(report.slots, [v1.id]);
      t.deepEqual(report.blobs.sort(), [sha('v1 expert'), sha('{"name":"contract-1.0.0"}')].sort());
      t.deepEqual(report.partials, [sha('half')]);
      t.deepEqual(await store.listSlots(), [v2.id, v3.id].sort());
      t.true(await store.hasBlob(sha(shared)));
      t.true(await store.hasBlob(sha('v2 expert')));
      t.false(await store.hasBlob(sha('v1 expert')));
      await store.verifySlot(v2.id);
      await store.verifySlot(v3.id);
    },
  );

  withStore('collecting garbage keeps the current slot readable and its blobs in the store', async (t, store) => {
    const a = makeBundle({ 'optical.onnx': 'graph a', 'weights/e.bin': 'expert a' });
    await putBlobs(store, a.blobs);
    await store.stageSlot(a.id, a.bytes, a.files);
    await store.writePointer({ current: a.id, at: 'now' });
    const report = await store.collectGarbage();
    t.deepEqual(report, { slots: [], blobs: [], partials: [], bytes: 0 });
    t.true(await store.hasBlob(sha('expert a')), 'blobs of the current slot are kept');
    t.is(Buffer.from(await store.readSlotFile(a.id, 'weights/e.bin')).toString(), 'expert a');
  });

  withStore('cleanup after a clean run removes nothing', async (t, store) => {
    t.deepEqual((await store.cleanup()).removed, []);
  });
}
