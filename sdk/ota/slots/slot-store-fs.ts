/**
 * A {@link SlotStore} on the filesystem, safe against power cuts at any instant:
 *
 * ```
 * <root>/lock                  pid of the process using the store
 * <root>/blobs/<sha256>        complete, verified blobs (read-only files)
 * <root>/partial/<sha256>.part downloads in progress (resumable)
 * <root>/slots/<id>/           one installed version: bundle.json + package/ (files hard-linked from blobs)
 * <root>/slots/.staging-<id>/  a slot being built (removed at start if a run was cut)
 * <root>/pointer.json          current / previous slot (atomic rename + directory fsync)
 * <root>/agent.json            the agent's persisted state
 * ```
 *
 * Blobs are renamed into `blobs/` only after fsync and verification; slots are renamed into
 * `slots/` only after every file and folder is fsynced; removal renames a slot out of sight
 * before deleting it. Package files are hard links to blobs, so versions that share experts
 * share disk space, and a slot stays whole even when its blobs are collected.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError, messageOf } from '../../core/errors.js';
import { sha256File } from '../../package/hash.js';
import { parseBundleManifest } from '../bundle/bundle-check.js';
import type { BundleFile } from '../bundle/bundle-manifest.js';
import { fsyncPath, TEMP_SUFFIX, writeFileDurable } from './fs-durable.js';
import { blobsOfBundle, checkPointer, expectSafeFiles, expectSha256 } from './slot-store-common.js';
import { acquirePidLock, type PidLock } from '../../core/pid-lock.js';
import type { BlobWriter, CleanupReport, GarbageReport, SlotPointer, SlotStore } from './slot-store.js';
import { parseJsonBounded } from '../../core/json-limits.js';
import { readRegular } from '../../core/safe-fs.js';

const HEX64 = /^[0-9a-f]{64}$/;
const STAGING = '.staging-';
const TRASH = '.trash-';

function ioError(what: string, err: unknown, file?: string): EdgeError {
  if (err instanceof EdgeError) return err;
  return new EdgeError('E_IO', `${what}: ${messageOf(err)}`, { ...(file !== undefined ? { file } : {}), cause: err });
}

/**
 * Filesystem slot store.
 * @example
 * const store = await FsSlotStore.open('/var/lib/ringmoe/ota');
 * await store.cleanup();
 */
export class FsSlotStore implements SlotStore {
  readonly kind = 'filesystem';
  private closed = false;

  private constructor(
    readonly root: string,
    private readonly lock: PidLock,
  ) {}

  /**
   * Opens (creating) the store at `root` and locks it for this process.
   * @throws EdgeError E_IO (cannot create, or another live process holds the lock)
   */
  static async open(root: string): Promise<FsSlotStore> {
    try {
      for (const d of ['blobs', 'partial', 'slots']) await mkdir(join(root, d), { recursive: true });
    } catch (err) {
      throw ioError('cannot create the slot store', err, root);
    }
    const lock = await acquirePidLock(join(root, 'lock'), {
      code: 'E_IO',
      subject: 'the slot store',
      hint: 'run one agent per store',
    });
    return new FsSlotStore(root, lock);
  }

  private blobPath(sha: string): string {
    return join(this.root, 'blobs', expectSha256('sha256', sha));
  }

  private slotDir(id: string): string {
    return join(this.root, 'slots', expectSha256('slot id', id));
  }

  async hasBlob(sha: string): Promise<boolean> {
    return (await lstat(this.blobPath(sha)).catch(() => undefined))?.isFile() ?? false;
  }

  async listBlobs(): Promise<string[]> {
    return (await readdir(join(this.root, 'blobs'))).filter((n) => HEX64.test(n)).sort();
  }

  async openBlobWriter(sha: string): Promise<BlobWriter> {
    expectSha256('sha256', sha);
    const partial = join(this.root, 'partial', `${sha}.part`);
    let fh: FileHandle | undefined = await open(partial, 'a').catch((err) => {
      throw ioError('cannot open a partial blob', err, partial);
    });
    let offset = (await fh.stat()).size;
    // The hash follows the bytes as they are written, so a commit never reads the blob again; a
    // resumed download hashes the bytes a previous run left once, here.
    let hash = createHash('sha256');
    if (offset > 0) {
      for await (const chunk of createReadStream(partial, { end: offset - 1 }) as AsyncIterable<Buffer>)
        hash.update(chunk);
    }
    let broken = false;
    const handle = (): FileHandle => {
      if (!fh) throw new EdgeError('E_CLOSED', `blob writer for ${sha.slice(0, 12)}… is closed`);
      if (broken)
        throw new EdgeError('E_IO', `blob writer for ${sha.slice(0, 12)}… failed a write; open it again to resume`);
      return fh;
    };
    const finalPath = this.blobPath(sha);
    return {
      sha256: sha,
      get offset() {
        return offset;
      },
      async write(bytes) {
        const h = handle();
        let done = 0;
        try {
          while (done < bytes.length) done += (await h.write(bytes, done, bytes.length - done)).bytesWritten;
        } catch (err) {
          broken = true;
          throw ioError('writing a partial blob failed', err, partial);
        }
        hash.update(bytes);
        offset += bytes.length;
      },
      async reset() {
        await handle().truncate(0);
        hash = createHash('sha256');
        offset = 0;
      },
      async commit(expectedSize) {
        const h = handle();
        fh = undefined;
        try {
          await h.sync();
        } finally {
          await h.close();
        }
        if (offset !== expectedSize) {
          await unlink(partial).catch(() => {});
          throw new EdgeError(
            'E_BLOB_HASH',
            `blob ${sha.slice(0, 12)}… has ${offset} bytes, expected ${expectedSize} (truncated or padded)`,
          );
        }
        const got = hash.digest('hex');
        if (got !== sha) {
          await unlink(partial).catch(() => {});
          throw new EdgeError(
            'E_BLOB_HASH',
            `blob ${sha.slice(0, 12)}… has sha256 ${got.slice(0, 12)}… (corrupted or tampered)`,
          );
        }
        // Data is durable before the rename publishes it, so a visible blob is always whole. The
        // directory is not fsynced per blob: losing a fresh entry to a power cut only means the
        // blob is fetched again (slots link the inode and fsync their own folders).
        await rename(partial, finalPath);
        // Read-only: package files are hard links to blobs, and nothing may write through them.
        await chmod(finalPath, 0o444);
      },
      async close() {
        const h = fh;
        fh = undefined;
        await h?.close();
      },
    };
  }

  async readBlob(sha: string, maxBytes: number): Promise<Uint8Array> {
    const p = this.blobPath(sha);
    const st = await lstat(p).catch(() => undefined);
    if (!st?.isFile()) throw new EdgeError('E_BLOB_MISSING', `blob ${sha} is not in the store`);
    if (st.size > maxBytes)
      throw new EdgeError(
        'E_BUNDLE_INVALID',
        `blob ${sha.slice(0, 12)}… is ${st.size} bytes; at most ${maxBytes} expected`,
      );
    return readRegular(p, {
      maxBytes,
      tooLargeCode: 'E_BUNDLE_INVALID',
      root: this.root,
      label: `blob ${sha.slice(0, 12)}…`,
    });
  }

  async stageSlot(id: string, bundleBytes: Uint8Array, files: readonly BundleFile[]): Promise<void> {
    expectSafeFiles(files);
    const final = this.slotDir(id);
    if (await this.hasSlot(id)) return;
    const tmp = join(this.root, 'slots', `${STAGING}${id}`);
    await rm(tmp, { recursive: true, force: true });
    const pkg = join(tmp, 'package');
    const dirs = new Set<string>([tmp, pkg]);
    try {
      await mkdir(pkg, { recursive: true });
      for (const f of files) {
        const src = this.blobPath(f.sha256);
        const st = await lstat(src).catch(() => undefined);
        if (!st?.isFile())
          throw new EdgeError('E_BLOB_MISSING', `blob ${f.sha256} for ${f.path} is not in the store`, {
            field: f.path,
          });
        const dest = join(pkg, ...f.path.split('/'));
        for (let d = dirname(dest); d.length > pkg.length && !dirs.has(d); d = dirname(d)) dirs.add(d);
        await mkdir(dirname(dest), { recursive: true });
        await link(src, dest).catch(async (err: NodeJS.ErrnoException) => {
          // Another filesystem or no hard links: copy (the blob is verified; the copy is fsynced below).
          if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'].includes(err.code ?? '')) throw err;
          await copyFile(src, dest, constants.COPYFILE_EXCL);
          fsyncPath(dest);
        });
      }
      await writeFileDurable(join(tmp, 'bundle.json'), bundleBytes);
      // Deepest folders first, so every entry is durable before its parent's rename publishes it.
      for (const d of [...dirs].sort((a, b) => b.length - a.length)) fsyncPath(d);
      await rename(tmp, final);
      fsyncPath(join(this.root, 'slots'));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw ioError(`cannot stage slot ${id.slice(0, 12)}…`, err, final);
    }
  }

  async hasSlot(id: string): Promise<boolean> {
    return (await lstat(this.slotDir(id)).catch(() => undefined))?.isDirectory() ?? false;
  }

  async listSlots(): Promise<string[]> {
    return (await readdir(join(this.root, 'slots'))).filter((n) => HEX64.test(n)).sort();
  }

  async readSlotBundle(id: string): Promise<Uint8Array> {
    const p = join(this.slotDir(id), 'bundle.json');
    return readRegular(p, { maxBytes: 16 << 20, root: this.root, label: 'bundle.json' }).catch((err: EdgeError) => {
      if (err.code === 'E_PATH_UNSAFE') throw err;
      throw new EdgeError(
        err.code === 'E_FILE_NOT_FOUND' ? 'E_FILE_NOT_FOUND' : 'E_IO',
        `slot ${id.slice(0, 12)}… has no readable bundle.json: ${messageOf(err)}`,
        { file: p },
      );
    });
  }

  async verifySlot(id: string): Promise<void> {
    const manifest = parseBundleManifest(await this.readSlotBundle(id), join(this.slotDir(id), 'bundle.json'));
    const pkg = join(this.slotDir(id), 'package');
    for (const f of manifest.files) {
      const p = join(pkg, ...f.path.split('/'));
      const st = await lstat(p).catch(() => undefined);
      if (!st) throw new EdgeError('E_PACKAGE_FILE_MISSING', `${f.path} is missing`, { file: p });
      if (!st.isFile()) throw new EdgeError('E_PATH_UNSAFE', `${f.path} is not a regular file`, { file: p });
      if (st.size !== f.size)
        throw new EdgeError('E_PACKAGE_SIZE_MISMATCH', `${f.path} has ${st.size} bytes, expected ${f.size}`, {
          file: p,
        });
      if ((await sha256File(p)) !== f.sha256)
        throw new EdgeError('E_PACKAGE_HASH_MISMATCH', `${f.path} does not match its sha256`, { file: p });
    }
  }

  slotPackageDir(id: string): string {
    return join(this.slotDir(id), 'package');
  }

  async readSlotFile(id: string, path: string): Promise<Uint8Array> {
    expectSafeFiles([{ path, sha256: '0'.repeat(64), size: 0, role: 'other' }]);
    const p = join(this.slotPackageDir(id), ...path.split('/'));
    const st = await lstat(p).catch(() => undefined);
    if (!st?.isFile())
      throw new EdgeError('E_PACKAGE_FILE_MISSING', `${path} is not in slot ${id.slice(0, 12)}…`, { file: p });
    return readRegular(p, { maxBytes: st.size, root: this.slotPackageDir(id), label: path });
  }

  async removeSlot(id: string): Promise<void> {
    const pointer = await this.readPointer();
    if (pointer && (pointer.current === id || pointer.previous === id)) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `slot ${id.slice(0, 12)}… is named by the pointer and cannot be removed`,
        { field: 'id' },
      );
    }
    await this.dropSlot(id);
  }

  private async dropSlot(id: string): Promise<void> {
    const dir = this.slotDir(id);
    if (!(await this.hasSlot(id))) return;
    // Out of sight first: a half-deleted folder must never look like a complete slot.
    const trash = join(this.root, 'slots', `${TRASH}${id}`);
    await rm(trash, { recursive: true, force: true });
    await rename(dir, trash);
    fsyncPath(join(this.root, 'slots'));
    await rm(trash, { recursive: true, force: true });
  }

  async readPointer(): Promise<SlotPointer | undefined> {
    return this.readJson('pointer.json', (v) => checkPointer(v, 'E_IO'));
  }

  async writePointer(p: SlotPointer): Promise<void> {
    const checked = checkPointer(p);
    for (const id of [checked.current, checked.previous]) {
      if (id !== undefined && !(await this.hasSlot(id)))
        throw new EdgeError('E_INVALID_ARGUMENT', `pointer names slot ${id.slice(0, 12)}…, which does not exist`, {
          field: 'pointer',
        });
    }
    await writeFileDurable(join(this.root, 'pointer.json'), `${JSON.stringify(checked)}\n`);
  }

  async readRecord(): Promise<unknown> {
    return this.readJson('agent.json', (v) => v);
  }

  async writeRecord(record: unknown): Promise<void> {
    await writeFileDurable(join(this.root, 'agent.json'), `${JSON.stringify(record)}\n`);
  }

  private async readJson<T>(name: string, check: (v: unknown) => T): Promise<T | undefined> {
    const p = join(this.root, name);
    const text = await readRegular(p, { maxBytes: 16 << 20, label: name, root: this.root }).catch((err: EdgeError) => {
      if (err.code === 'E_FILE_NOT_FOUND') return undefined;
      throw err.code === 'E_PATH_UNSAFE' || err.code === 'E_FILE_TOO_LARGE'
        ? err
        : ioError(`cannot read ${name}`, err, p);
    });
    if (text === undefined) return undefined;
    try {
      return check(
        parseJsonBounded(
          text,
          { maxBytes: 16 << 20, maxDepth: 32, maxStringLength: 64 * 1024 },
          { file: p, what: name },
        ),
      );
    } catch (err) {
      throw new EdgeError(
        'E_IO',
        `${name} is unreadable (${messageOf(err)}); it is only ever replaced atomically, so the storage itself is damaged`,
        { file: p, cause: err },
      );
    }
  }

  async collectGarbage(o: { keep?: string[]; keepPartials?: string[] } = {}): Promise<GarbageReport> {
    const pointer = await this.readPointer();
    const keep = new Set(
      [...(o.keep ?? []), pointer?.current, pointer?.previous].filter((x): x is string => x !== undefined),
    );
    const report: GarbageReport = { slots: [], blobs: [], partials: [], bytes: 0 };
    for (const id of await this.listSlots()) {
      if (keep.has(id)) continue;
      await this.dropSlot(id);
      report.slots.push(id);
    }
    const used = new Set<string>();
    for (const id of await this.listSlots()) for (const h of blobsOfBundle(await this.readSlotBundle(id))) used.add(h);
    for (const h of await this.listBlobs()) {
      if (used.has(h)) continue;
      const p = this.blobPath(h);
      report.bytes += (await stat(p)).size;
      await unlink(p);
      report.blobs.push(h);
    }
    const keepPartials = new Set(o.keepPartials ?? []);
    for (const name of await readdir(join(this.root, 'partial'))) {
      const h = name.replace(/\.part$/, '');
      if (keepPartials.has(h)) continue;
      const p = join(this.root, 'partial', name);
      report.bytes += (await stat(p)).size;
      await unlink(p);
      report.partials.push(h);
    }
    fsyncPath(join(this.root, 'blobs'));
    fsyncPath(join(this.root, 'slots'));
    return report;
  }

  async cleanup(): Promise<CleanupReport> {
    const removed: string[] = [];
    for (const name of await readdir(join(this.root, 'slots'))) {
      if (name.startsWith(STAGING) || name.startsWith(TRASH)) {
        await rm(join(this.root, 'slots', name), { recursive: true, force: true });
        removed.push(`slots/${name}`);
      }
    }
    for (const dir of ['', 'blobs']) {
      for (const name of await readdir(join(this.root, dir))) {
        if (name.endsWith(TEMP_SUFFIX)) {
          await unlink(join(this.root, dir, name));
          removed.push(join(dir, name));
        }
      }
    }
    if (removed.length) fsyncPath(join(this.root, 'slots'));
    return { removed };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock.release();
  }
}
