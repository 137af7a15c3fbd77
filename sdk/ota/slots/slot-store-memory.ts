/**
 * A {@link SlotStore} in memory: the reference semantics of the contract, for tests and for
 * hosts that load models from bytes. Nothing survives the process.
 */
import { EdgeError } from '../../core/errors.js';
import { sha256 } from '../../package/hash.js';
import { parseBundleManifest } from '../bundle/bundle-check.js';
import type { BundleFile } from '../bundle/bundle-manifest.js';
import { blobsOfBundle, checkPointer, expectSafeFiles, expectSha256 } from './slot-store-common.js';
import type { BlobWriter, CleanupReport, GarbageReport, SlotPointer, SlotStore } from './slot-store.js';

interface Slot {
  bundle: Uint8Array;
  files: Map<string, Uint8Array>;
}

/**
 * In-memory slot store.
 * @example
 * const store = new MemorySlotStore();
 * const w = await store.openBlobWriter(sha); await w.write(bytes); await w.commit(bytes.length);
 */
export class MemorySlotStore implements SlotStore {
  readonly kind = 'memory';
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly partials = new Map<string, Uint8Array[]>();
  private readonly slots = new Map<string, Slot>();
  private pointer: SlotPointer | undefined;
  private record: string | undefined;

  async hasBlob(sha: string): Promise<boolean> {
    return this.blobs.has(expectSha256('sha256', sha));
  }

  async listBlobs(): Promise<string[]> {
    return [...this.blobs.keys()].sort();
  }

  async openBlobWriter(sha: string): Promise<BlobWriter> {
    expectSha256('sha256', sha);
    const parts = this.partials.get(sha) ?? [];
    this.partials.set(sha, parts);
    let closed = false;
    const size = () => parts.reduce((s, p) => s + p.length, 0);
    const open = () => {
      if (closed) throw new EdgeError('E_CLOSED', `blob writer for ${sha.slice(0, 12)} is closed`);
    };
    return {
      sha256: sha,
      get offset() {
        return size();
      },
      write: async (bytes) => {
        open();
        parts.push(Uint8Array.from(bytes));
      },
      reset: async () => {
        open();
        parts.length = 0;
      },
      commit: async (expectedSize) => {
        open();
        closed = true;
        const all = Buffer.concat(parts);
        this.partials.delete(sha);
        if (all.length !== expectedSize)
          throw new EdgeError(
            'E_BLOB_HASH',
            `blob ${sha.slice(0, 12)}… has ${all.length} bytes, expected ${expectedSize} (truncated or padded)`,
          );
        const h = sha256(all);
        if (h !== sha)
          throw new EdgeError(
            'E_BLOB_HASH',
            `blob ${sha.slice(0, 12)}… has sha256 ${h.slice(0, 12)}… (corrupted or tampered)`,
          );
        this.blobs.set(sha, new Uint8Array(all));
      },
      close: async () => {
        closed = true;
      },
    };
  }

  async readBlob(sha: string, maxBytes: number): Promise<Uint8Array> {
    const b = this.blobs.get(expectSha256('sha256', sha));
    if (!b) throw new EdgeError('E_BLOB_MISSING', `blob ${sha} is not in the store`);
    if (b.length > maxBytes)
      throw new EdgeError(
        'E_BUNDLE_INVALID',
        `blob ${sha.slice(0, 12)}… is ${b.length} bytes; at most ${maxBytes} expected`,
      );
    return Uint8Array.from(b);
  }

  async stageSlot(id: string, bundleBytes: Uint8Array, files: readonly BundleFile[]): Promise<void> {
    expectSha256('slot id', id);
    expectSafeFiles(files);
    if (this.slots.has(id)) return;
    const map = new Map<string, Uint8Array>();
    for (const f of files) {
      const b = this.blobs.get(f.sha256);
      if (!b)
        throw new EdgeError('E_BLOB_MISSING', `blob ${f.sha256} for ${f.path} is not in the store`, { field: f.path });
      map.set(f.path, b);
    }
    this.slots.set(id, { bundle: Uint8Array.from(bundleBytes), files: map });
  }

  async hasSlot(id: string): Promise<boolean> {
    return this.slots.has(expectSha256('slot id', id));
  }

  async listSlots(): Promise<string[]> {
    return [...this.slots.keys()].sort();
  }

  private slot(id: string): Slot {
    const s = this.slots.get(expectSha256('slot id', id));
    if (!s) throw new EdgeError('E_FILE_NOT_FOUND', `slot ${id.slice(0, 12)}… does not exist`);
    return s;
  }

  async readSlotBundle(id: string): Promise<Uint8Array> {
    return Uint8Array.from(this.slot(id).bundle);
  }

  async verifySlot(id: string): Promise<void> {
    const s = this.slot(id);
    for (const f of parseBundleManifest(s.bundle).files) {
      const b = s.files.get(f.path);
      if (!b) throw new EdgeError('E_PACKAGE_FILE_MISSING', `${f.path} is missing from slot ${id.slice(0, 12)}…`);
      if (b.length !== f.size)
        throw new EdgeError('E_PACKAGE_SIZE_MISMATCH', `${f.path} has ${b.length} bytes, expected ${f.size}`);
      if (sha256(b) !== f.sha256) throw new EdgeError('E_PACKAGE_HASH_MISMATCH', `${f.path} does not match its sha256`);
    }
  }

  slotPackageDir(): string | undefined {
    return undefined;
  }

  async readSlotFile(id: string, path: string): Promise<Uint8Array> {
    const b = this.slot(id).files.get(path);
    if (!b) throw new EdgeError('E_PACKAGE_FILE_MISSING', `${path} is not in slot ${id.slice(0, 12)}…`);
    return Uint8Array.from(b);
  }

  async removeSlot(id: string): Promise<void> {
    expectSha256('slot id', id);
    if (this.pointer && (this.pointer.current === id || this.pointer.previous === id)) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `slot ${id.slice(0, 12)}… is named by the pointer and cannot be removed`,
        { field: 'id' },
      );
    }
    this.slots.delete(id);
  }

  async readPointer(): Promise<SlotPointer | undefined> {
    return this.pointer ? { ...this.pointer } : undefined;
  }

  async writePointer(p: SlotPointer): Promise<void> {
    const checked = checkPointer(p);
    for (const id of [checked.current, checked.previous]) {
      if (id !== undefined && !this.slots.has(id))
        throw new EdgeError('E_INVALID_ARGUMENT', `pointer names slot ${id.slice(0, 12)}…, which does not exist`, {
          field: 'pointer',
        });
    }
    this.pointer = checked;
  }

  async readRecord(): Promise<unknown> {
    return this.record === undefined ? undefined : JSON.parse(this.record);
  }

  async writeRecord(record: unknown): Promise<void> {
    this.record = JSON.stringify(record);
  }

  async collectGarbage(o: { keep?: string[]; keepPartials?: string[] } = {}): Promise<GarbageReport> {
    const keep = new Set(
      [...(o.keep ?? []), this.pointer?.current, this.pointer?.previous].filter((x): x is string => x !== undefined),
    );
    const report: GarbageReport = { slots: [], blobs: [], partials: [], bytes: 0 };
    for (const id of [...this.slots.keys()]) {
      if (!keep.has(id)) {
        this.slots.delete(id);
        report.slots.push(id);
      }
    }
    const used = new Set<string>();
    for (const s of this.slots.values()) for (const h of blobsOfBundle(s.bundle)) used.add(h);
    for (const [h, b] of [...this.blobs]) {
      if (!used.has(h)) {
        this.blobs.delete(h);
        report.blobs.push(h);
        report.bytes += b.length;
      }
    }
    const keepPartials = new Set(o.keepPartials ?? []);
    for (const [h, parts] of [...this.partials]) {
      if (!keepPartials.has(h)) {
        this.partials.delete(h);
        report.partials.push(h);
        report.bytes += parts.reduce((s, p) => s + p.length, 0);
      }
    }
    return report;
  }

  async cleanup(): Promise<CleanupReport> {
    return { removed: [] };
  }

  async close(): Promise<void> {}
}
