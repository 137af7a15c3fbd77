/**
 * The engine cache directory: `<stem>.plan` + `<stem>.plan.json` per (entry, precision, target,
 * batch profile). Writes are crash-safe (temp file + rename, sidecar last: a plan whose sidecar is
 * missing is never trusted). Lookups read the plan once, hashing it on the way in.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError, isEdgeError, messageOf } from '../../core/errors.js';
import { planStem, type EngineKey } from './key.js';
import { checkPlan, checkSidecarKey, createSidecar, parseSidecar, type EngineSidecar } from './sidecar.js';

/** A verified plan. */
export interface CachedEngine {
  plan: Uint8Array;
  sidecar: EngineSidecar;
  planPath: string;
}

/** Result of {@link EngineCache.lookup}: a verified plan, or why there is none. */
export type CacheLookup =
  | ({ status: 'hit' } & CachedEngine)
  | { status: 'miss'; planPath: string }
  | { status: 'rejected'; planPath: string; error: EdgeError };

async function readHashed(path: string): Promise<{ bytes: Buffer; sha256: string }> {
  const h = createHash('sha256');
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on('data', (c) => {
        const chunk = c as Buffer;
        h.update(chunk);
        chunks.push(chunk);
      })
      .on('error', reject)
      .on('end', () => resolve());
  });
  return { bytes: Buffer.concat(chunks), sha256: h.digest('hex') };
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new EdgeError('E_IO', `cannot write engine cache file: ${messageOf(err)}`, { file: path, cause: err });
  }
}

/** A directory of cached plans. */
export class EngineCache {
  /** @param dir cache directory (created on first save) */
  constructor(readonly dir: string) {}

  /** Paths of the plan and sidecar for `key`. */
  paths(key: EngineKey): { plan: string; sidecar: string } {
    const plan = join(this.dir, `${planStem(key)}.plan`);
    return { plan, sidecar: `${plan}.json` };
  }

  /**
   * Finds a plan for `key` and verifies it (sidecar key, size, sha256). Never throws for cache
   * content: a stale or foreign plan comes back as `rejected` with the EdgeError that says why.
   * @throws EdgeError E_INVALID_ARGUMENT for a malformed key
   */
  async lookup(key: EngineKey): Promise<CacheLookup> {
    const { plan: planPath, sidecar: sidecarPath } = this.paths(key);
    let planFile: { bytes: Buffer; sha256: string };
    try {
      planFile = await readHashed(planPath);
    } catch {
      return { status: 'miss', planPath };
    }
    try {
      let text: string;
      try {
        text = await readFile(sidecarPath, 'utf8');
      } catch {
        throw new EdgeError('E_ENGINE_FOREIGN', 'engine plan has no sidecar, so its origin is unknown', {
          file: planPath,
          hint: 'the engine will be rebuilt',
        });
      }
      const sidecar = parseSidecar(text, sidecarPath);
      checkSidecarKey(sidecar, key, sidecarPath);
      checkPlan(sidecar, planFile.bytes, planFile.sha256, planPath);
      return { status: 'hit', plan: planFile.bytes, sidecar, planPath };
    } catch (err) {
      if (isEdgeError(err, 'E_ENGINE_STALE') || isEdgeError(err, 'E_ENGINE_FOREIGN'))
        return { status: 'rejected', planPath, error: err };
      throw err;
    }
  }

  /**
   * Like {@link lookup}, but a rejected plan throws.
   * @throws EdgeError E_ENGINE_STALE, E_ENGINE_FOREIGN; E_FILE_NOT_FOUND when there is no plan
   */
  async load(key: EngineKey): Promise<CachedEngine> {
    const r = await this.lookup(key);
    if (r.status === 'hit') return r;
    if (r.status === 'rejected') throw r.error;
    throw new EdgeError('E_FILE_NOT_FOUND', 'no cached engine for this key', { file: r.planPath });
  }

  /**
   * Stores a plan and its sidecar; replaces what was there.
   * @throws EdgeError E_IO
   */
  async save(
    key: EngineKey,
    plan: Uint8Array,
    options: { planSha256?: string; build?: Record<string, unknown> } = {},
  ): Promise<CachedEngine> {
    const paths = this.paths(key);
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw new EdgeError('E_IO', `cannot create the engine cache directory: ${messageOf(err)}`, {
        file: this.dir,
        cause: err,
      });
    }
    const sidecar = createSidecar(key, plan, options);
    // Sidecar out first, in last: between the two renames the plan has no sidecar and is not trusted.
    await rm(paths.sidecar, { force: true });
    await writeAtomic(paths.plan, plan);
    await writeAtomic(paths.sidecar, `${JSON.stringify(sidecar, null, 2)}\n`);
    return { plan, sidecar, planPath: paths.plan };
  }

  /** Deletes the plan and sidecar for `key` (no error when absent). */
  async remove(key: EngineKey): Promise<void> {
    const paths = this.paths(key);
    await rm(paths.sidecar, { force: true });
    await rm(paths.plan, { force: true });
  }
}
