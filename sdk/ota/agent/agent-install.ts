/**
 * One update, from verification to commit or rollback. Everything that can refuse an update
 * runs before a byte of the package is fetched; the running model keeps serving until the switch,
 * and after the switch a failed health check puts it back.
 */
import { EdgeError, messageOf } from '../../core/errors.js';
import { PACKAGE_MANIFEST_FILE } from '../../package/package-manifest.js';
import type { AgentContext } from './agent-context.js';
import type { UpdateRequest } from './agent-record.js';
import type { BundleRef, UpdateOutcome, UpdateProgress } from './agent-states.js';
import { rollBack } from './agent-rollback.js';
import { DirectoryBlobSource } from '../sources/blob-source-dir.js';
import { HttpBlobSource } from '../sources/blob-source-http.js';
import { fetchBlob, type BlobRequest, type BlobSource } from '../sources/blob-source.js';
import { parseBundleManifest } from '../bundle/bundle-check.js';
import type { BundleManifest } from '../bundle/bundle-manifest.js';
import { bundleDelta } from '../bundle/delta.js';
import type { HostedModel } from '../hosts/model-host.js';
import { checkBundleMatchesPackage } from '../bundle/package-consistency.js';
import { labelOf } from './slot-refs.js';
import { checkCompatible, checkMatchesDesired, checkTarget, checkVersionOrder } from './update-policy.js';

/** Largest ringmoe.json read into memory (its real size is what the signed bundle lists). */
const PACKAGE_MANIFEST_CAP = 256 << 20;

async function sourcesFor(ctx: AgentContext, req: UpdateRequest): Promise<BlobSource[]> {
  const list: BlobSource[] = [];
  if (req.origin === 'local' && req.dir) list.push(new DirectoryBlobSource(req.dir, req.manifestSha256));
  for (const url of req.sources.http ?? []) list.push(new HttpBlobSource(url, ctx.o.http));
  list.push(...(await ctx.o.extraSources(req)));
  return list;
}

function outcome(
  ctx: AgentContext,
  result: UpdateOutcome['result'],
  req: UpdateRequest,
  extra: Partial<UpdateOutcome> = {},
): UpdateOutcome {
  return {
    result,
    bundle: { name: req.name, version: req.version, manifest: req.manifestSha256 },
    ...(req.seq !== undefined ? { seq: req.seq } : {}),
    ...extra,
    at: ctx.o.now().toISOString(),
  };
}

/** Verifying: everything but the package bytes. Returns the trusted manifest and its bytes. */
async function verifyRequest(
  ctx: AgentContext,
  req: UpdateRequest,
  sources: BlobSource[],
): Promise<{ manifest: BundleManifest; bytes: Uint8Array }> {
  const { store, trust, identity, limits } = ctx.o;
  checkTarget(req.target, identity, 'bundle.target');
  if (req.manifestSize > limits.manifestBytes) {
    throw new EdgeError(
      'E_BUNDLE_INVALID',
      `bundle manifest is ${req.manifestSize} bytes; the limit is ${limits.manifestBytes}`,
      { field: 'bundle.manifestSize' },
    );
  }
  const policy = {
    ...ctx.o.fetch,
    onRetry: (s: string, _b: unknown, why: string) => ctx.o.log(`fetch retry (${s}): ${why}`),
  };
  await fetchBlob(store, { sha256: req.manifestSha256, size: req.manifestSize, path: 'bundle.json' }, sources, policy);
  const bytes = await store.readBlob(req.manifestSha256, limits.manifestBytes);
  trust.verify('bundle', bytes, req.signature, { file: 'bundle.json', field: 'signature' });
  const manifest = parseBundleManifest(bytes, 'bundle.json', limits);
  checkMatchesDesired(manifest, { bundle: { name: req.name, version: req.version, target: req.target } } as Parameters<
    typeof checkMatchesDesired
  >[1]);
  checkCompatible(manifest, identity, ctx.o.sdkVersion);
  checkVersionOrder(manifest, req.manifestSha256, ctx.slots.current?.ref, req.rollback);
  const pkgFile = manifest.files.find((f) => f.path === PACKAGE_MANIFEST_FILE)!;
  await fetchBlob(store, blobRequestOf(pkgFile, manifest), sources, policy);
  checkBundleMatchesPackage(manifest, await store.readBlob(pkgFile.sha256, PACKAGE_MANIFEST_CAP));
  return { manifest, bytes };
}

/**
 * Runs `req` from the `verifying` state to `idle`. Never throws for a bad update: the outcome
 * says what happened (installed, unchanged, rejected with a code, rolled back with the reason).
 */
export async function runInstall(ctx: AgentContext, req: UpdateRequest): Promise<UpdateOutcome> {
  const { store, host } = ctx.o;
  const id = req.manifestSha256;
  const oldSlot = ctx.slots.current;
  if (oldSlot?.ref.manifest === id) {
    const done = outcome(ctx, 'unchanged', req, { message: `${req.name}@${req.version} is already running` });
    await ctx.go('unchanged', { pending: undefined, outcome: done, target: undefined, progress: undefined });
    return done;
  }
  let sources: BlobSource[] = [];
  let newModel: HostedModel | undefined;
  let switched = false;
  const target: BundleRef = { name: req.name, version: req.version, manifest: id };
  let transfer: UpdateOutcome['transfer'];
  try {
    sources = await sourcesFor(ctx, req);
    const heldBefore = new Set(await store.listBlobs());
    const { manifest, bytes } = await verifyRequest(ctx, req, sources);
    // The delta is against what the device held before this update (verification already fetched ringmoe.json).
    const delta = bundleDelta(manifest, heldBefore);
    const fetchedEarly = manifest.files.find((f) => f.path === PACKAGE_MANIFEST_FILE && !heldBefore.has(f.sha256));
    const progress: UpdateProgress = {
      blobsTotal: delta.blobsTotal,
      bytesTotal: delta.bytesTotal,
      blobsNeeded: delta.blobsNeeded,
      bytesNeeded: delta.bytesNeeded,
      bytesDone: fetchedEarly?.size ?? 0,
    };
    transfer = { blobs: delta.blobsNeeded, bytes: delta.bytesNeeded, bundleBytes: delta.bytesTotal };
    ctx.o.log(
      `${labelOf(target)}: verified; fetching ${delta.blobsNeeded} of ${delta.blobsTotal} blobs (${delta.bytesNeeded} of ${delta.bytesTotal} bytes)`,
    );
    await ctx.go('manifest-verified', { target, progress });

    const seen = new Set<string>();
    for (const f of manifest.files) {
      if (seen.has(f.sha256)) continue;
      seen.add(f.sha256);
      await fetchBlob(store, blobRequestOf(f, manifest), sources, {
        ...ctx.o.fetch,
        onBytes: (n) => {
          progress.bytesDone += n;
          ctx.progress(progress);
        },
        onRetry: (s, _b, why) => ctx.o.log(`fetch retry (${s}): ${why}`),
      });
    }
    await ctx.go('blobs-fetched', { progress });

    await store.stageSlot(id, bytes, manifest.files);
    await store.verifySlot(id);
    await ctx.go('staged');

    const dir = store.slotPackageDir(id);
    newModel = await host.load({ id, ...(dir !== undefined ? { dir } : {}), label: labelOf(target) });
    await host.warmUp(newModel, ctx.o.warmUpFrames);
    await ctx.go('loaded');

    const at = ctx.o.now().toISOString();
    // The pointer first: if power fails from here until the commit, the device restarts on the old version.
    await store.writePointer(
      oldSlot ? { current: id, previous: oldSlot.ref.manifest, trial: true, at } : { current: id, at },
    );
    switched = true;
    await host.activate(newModel);
    ctx.slots = { current: { ref: target, model: newModel }, ...(oldSlot ? { previous: oldSlot } : {}) };
    await ctx.go('switched');
  } catch (err) {
    if (!switched) {
      if (newModel) await host.unload(newModel).catch(() => {});
      const e = err instanceof EdgeError ? err : new EdgeError('E_INTERNAL', messageOf(err), { cause: err });
      const done = outcome(ctx, 'rejected', req, { code: e.code, message: e.message });
      ctx.o.log(`${labelOf(target)}: rejected: ${e.code} ${e.message}`);
      // A refused bundle leaves nothing behind, except the progress of a download that failed for
      // want of a link (E_BLOB_MISSING): that one resumes when the update is offered again.
      if (e.code !== 'E_BLOB_MISSING')
        await store.collectGarbage().catch((gcErr) => ctx.o.log(`garbage collection failed: ${messageOf(gcErr)}`));
      await ctx.go('rejected', { pending: undefined, outcome: done, target: undefined, progress: undefined });
      return done;
    }
    // The pointer says trial but the host could not switch: go back.
    await ctx.go('switch-failed');
    return rollBack(
      ctx,
      req,
      {
        code: (err as EdgeError).code ?? 'E_INTERNAL',
        message: `switching failed: ${messageOf(err)}`,
        ...(transfer ? { transfer } : {}),
      },
      newModel,
    );
  } finally {
    for (const s of sources) await s.close?.().catch(() => {});
  }

  const health = await host.healthCheck(ctx.o.health).catch((err: unknown) => ({
    ok: false,
    model: id,
    frames: 0,
    passed: 0,
    latencyBudgetMs: ctx.o.health.latencyBudgetMs ?? 0,
    medianMs: 0,
    maxMs: 0,
    failures: [{ entry: '*', code: (err as EdgeError).code ?? 'E_INTERNAL', reason: messageOf(err) }],
  }));
  const healthSummary = {
    ok: health.ok,
    frames: health.frames,
    passed: health.passed,
    medianMs: health.medianMs,
    maxMs: health.maxMs,
    latencyBudgetMs: health.latencyBudgetMs,
    failures: health.failures.slice(0, 8),
  };
  if (!health.ok && oldSlot) {
    await ctx.go('unhealthy', { health: healthSummary });
    const why = health.failures
      .slice(0, 3)
      .map((f) => f.reason)
      .join('; ');
    return rollBack(
      ctx,
      req,
      {
        code: 'E_HEALTH_CHECK',
        message: `health check failed (${health.passed}/${health.frames} frames passed): ${why}`,
        ...(transfer ? { transfer } : {}),
      },
      newModel,
      healthSummary,
    );
  }
  await ctx.go('healthy', { health: healthSummary });
  await store.writePointer({
    current: id,
    ...(oldSlot ? { previous: oldSlot.ref.manifest } : {}),
    at: ctx.o.now().toISOString(),
  });
  // The previous version stays installed for a later rollback, but not loaded.
  if (oldSlot?.model)
    await host
      .unload(oldSlot.model)
      .catch((err) => ctx.o.log(`unloading the previous model failed: ${messageOf(err)}`));
  ctx.slots = { current: { ref: target, model: newModel! }, ...(oldSlot ? { previous: { ref: oldSlot.ref } } : {}) };
  const gc = await store.collectGarbage();
  ctx.o.log(
    `${labelOf(target)}: committed; collected ${gc.slots.length} slots and ${gc.blobs.length} blobs (${gc.bytes} bytes)`,
  );
  const done = outcome(ctx, 'installed', req, {
    ...(transfer ? { transfer } : {}),
    ...(health.ok
      ? {}
      : { code: 'E_HEALTH_CHECK', message: 'health check failed, but there is no previous version to return to' }),
  });
  await ctx.go('committed', { pending: undefined, outcome: done, target: undefined, progress: undefined });
  return done;
}

/** What to fetch for a manifest file, with its per-chunk hashes when the manifest lists them. */
function blobRequestOf(f: BundleManifest['files'][number], manifest: BundleManifest): BlobRequest {
  return {
    sha256: f.sha256,
    size: f.size,
    path: f.path,
    ...(f.chunks && manifest.chunkBytes ? { chunks: f.chunks, chunkBytes: manifest.chunkBytes } : {}),
  };
}
