/**
 * Where a device keeps what OTA installs: a content-addressed blob store, installed versions
 * ("slots", one per bundle manifest hash, each a complete package), a pointer naming the current
 * and previous slot, and the agent's persisted record. One interface, two implementations
 * (memory, filesystem), one contract suite (test/contract/slot-store.contract.ts).
 *
 * Invariants every implementation keeps:
 * - a blob is visible only once its bytes are complete and match its sha256;
 * - a slot is visible only once every file is in place (staging is atomic);
 * - the pointer and the record change atomically: a reader sees the old or the new value, never a mix.
 */
import type { BundleFile } from '../bundle/bundle-manifest.js';

//#region blobs

/** Receives one blob's bytes in order, possibly across restarts (resume). */
export interface BlobWriter {
  readonly sha256: string;
  /** Bytes already received: where a resumed download starts. */
  readonly offset: number;
  /** Appends bytes at {@link BlobWriter.offset}. */
  write(bytes: Uint8Array): Promise<void>;
  /** Drops what was received and starts again at 0 (e.g. the server ignored a Range request). */
  reset(): Promise<void>;
  /**
   * Checks size and sha256 and makes the blob visible. On a mismatch the partial bytes are
   * dropped. Closes the writer.
   * @throws EdgeError E_BLOB_HASH
   */
  commit(expectedSize: number): Promise<void>;
  /** Closes the writer and keeps the partial bytes for a later resume. Idempotent. */
  close(): Promise<void>;
}

//#endregion
//#region slots and pointer

/** Which slot runs, and which one to fall back to. */
export interface SlotPointer {
  /** Slot id (bundle manifest sha256) of the model the device starts with. */
  current: string;
  /** The slot that ran before, kept for rollback. */
  previous?: string;
  /**
   * The current slot was switched to but has not passed its health check yet: a device that
   * restarts in this state goes back to `previous`.
   */
  trial?: boolean;
  /** ISO-8601 time of the change. */
  at: string;
}

/** What {@link SlotStore.collectGarbage} removed. */
export interface GarbageReport {
  slots: string[];
  blobs: string[];
  partials: string[];
  /** Bytes of removed blobs and partials. */
  bytes: number;
}

/** What {@link SlotStore.cleanup} removed after an interrupted run. */
export interface CleanupReport {
  /** Leftovers (half-staged slots, temporary files), described. */
  removed: string[];
}

//#endregion

/** The device's storage for OTA. */
export interface SlotStore {
  /** `memory` or `filesystem`. */
  readonly kind: string;

  /** True when the blob is complete and verified. */
  hasBlob(sha256: string): Promise<boolean>;
  /** Every complete blob. */
  listBlobs(): Promise<string[]>;
  /** A writer for one blob, positioned after any bytes a previous run left. */
  openBlobWriter(sha256: string): Promise<BlobWriter>;
  /**
   * A complete blob's bytes (for small blobs: manifests).
   * @throws EdgeError E_BLOB_MISSING, E_BUNDLE_INVALID when larger than `maxBytes`
   */
  readBlob(sha256: string, maxBytes: number): Promise<Uint8Array>;

  /**
   * Builds slot `id` from blobs: every file of `files` at its path, plus the bundle manifest.
   * The slot appears whole or not at all. Does nothing when the slot already exists.
   * @throws EdgeError E_BLOB_MISSING, E_PATH_UNSAFE, E_IO
   */
  stageSlot(id: string, bundleBytes: Uint8Array, files: readonly BundleFile[]): Promise<void>;
  /** True when slot `id` exists (complete). */
  hasSlot(id: string): Promise<boolean>;
  /** Every complete slot. */
  listSlots(): Promise<string[]>;
  /** The bundle manifest bytes stored with slot `id`. @throws EdgeError E_FILE_NOT_FOUND */
  readSlotBundle(id: string): Promise<Uint8Array>;
  /**
   * Re-checks every file of slot `id` (present, regular file, size, sha256).
   * @throws EdgeError E_FILE_NOT_FOUND, E_PACKAGE_FILE_MISSING, E_PACKAGE_SIZE_MISMATCH, E_PACKAGE_HASH_MISMATCH, E_PATH_UNSAFE
   */
  verifySlot(id: string): Promise<void>;
  /** Directory holding slot `id`'s package, for hosts that load from disk; undefined in memory. */
  slotPackageDir(id: string): string | undefined;
  /** A file of slot `id`'s package. @throws EdgeError E_PACKAGE_FILE_MISSING */
  readSlotFile(id: string, path: string): Promise<Uint8Array>;
  /** Removes slot `id` (never the pointer's current or previous: E_INVALID_ARGUMENT). */
  removeSlot(id: string): Promise<void>;

  /** The pointer, or undefined before the first install. */
  readPointer(): Promise<SlotPointer | undefined>;
  /** Replaces the pointer atomically and durably. @throws EdgeError E_INVALID_ARGUMENT when a slot it names is absent */
  writePointer(pointer: SlotPointer): Promise<void>;
  /** The agent's persisted record, or undefined. */
  readRecord(): Promise<unknown>;
  /** Replaces the agent's record atomically and durably. */
  writeRecord(record: unknown): Promise<void>;

  /**
   * Removes slots the pointer does not name (except `keep`), blobs no remaining slot uses and
   * partial downloads not in `keepPartials`.
   */
  collectGarbage(options?: { keep?: string[]; keepPartials?: string[] }): Promise<GarbageReport>;
  /** Removes leftovers of an interrupted run (half-staged slots, temporary files). Call at start. */
  cleanup(): Promise<CleanupReport>;
  /** Releases the store (file locks). Idempotent. */
  close(): Promise<void>;
}
