/**
 * The bundle manifest (`bundle.json`): what a device installs. It names one model package built
 * for one target and lists every file of it with sha256 and size; the files travel as
 * content-addressed blobs, so bundles that share experts share blobs. Its sha256 (the manifest
 * hash) is the bundle's identity; an Ed25519 signature over its exact bytes makes it trusted.
 *
 * Types and limits only; checking is in `bundle-check.ts`.
 */
import type { FileRole } from '../../package/package-manifest.js';

/** Format tag of a bundle manifest. */
export const BUNDLE_FORMAT = 'ringmoe-edge/bundle';
/** The bundle manifest version this SDK reads. */
export const BUNDLE_FORMAT_VERSION = 1;
/** File names inside a bundle directory. */
export const BUNDLE_MANIFEST_FILE = 'bundle.json';
/** Detached signature beside the manifest. */
export const BUNDLE_SIGNATURE_FILE = 'bundle.sig';
/** Folder of content-addressed blobs, one file per sha256. */
export const BUNDLE_BLOB_DIR = 'blobs';

/** One file of the bundled package. */
export interface BundleFile {
  /** Relative POSIX path inside the package (`weights/s1.b0/modal.sar-l2.3.bin`). */
  path: string;
  sha256: string;
  size: number;
  /** The package role, or `manifest` for `ringmoe.json`. */
  role: FileRole | 'manifest';
  /**
   * Hashes of the file's consecutive `chunkBytes` slices (first 32 hex digits of each sha256), so a
   * device verifies every chunk it receives over MQTT (see chunk-hashes.ts). Needs the manifest's
   * `chunkBytes`; bundles made by this SDK list them for every file.
   */
  chunks?: string[];
}

/** A bundle manifest as written in `bundle.json`. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  /** Bundle name, `[A-Za-z0-9._-]{1,64}` (usually the product line, e.g. `drone-optical`). */
  name: string;
  /** Semantic version; devices refuse to go lower unless a desired state signs a rollback. */
  version: string;
  /** Device target id the package was built for. */
  target: string;
  /** Sensor modalities the package reads. */
  modalities: string[];
  /** Tasks its entries serve. */
  tasks: string[];
  /** Entry names of the package. */
  entries: string[];
  /** Lowest SDK version that can run it. */
  minSdkVersion: string;
  /** The bundled package: its name and the sha256 of its ringmoe.json (which is one of `files`). */
  package: { name: string; manifestSha256: string };
  /** Every file of the package, `ringmoe.json` included. Paths are unique. */
  files: BundleFile[];
  /** Sum of the sizes of `files`. */
  totalSize: number;
  /** Chunk size of the per-chunk hashes in `files[].chunks` (a power of two, 64 KiB–1 MiB). */
  chunkBytes?: number;
  /** ISO-8601 time the bundle was made. */
  createdAt: string;
  /** Free text for operators. */
  notes?: string;
}

/** Size limits a device applies before it trusts any byte of a bundle. */
export interface BundleLimits {
  /** Largest bundle.json accepted, in bytes. */
  manifestBytes: number;
  /** Most files in one bundle. */
  files: number;
  /** Longest file path, in characters. */
  pathLength: number;
  /** Largest total package size, in bytes. */
  totalBytes: number;
  /** Largest desired-state message, in bytes. */
  desiredBytes: number;
}

/** Defaults for {@link BundleLimits}; devices with less storage set `totalBytes` lower. */
export const DEFAULT_BUNDLE_LIMITS: Readonly<BundleLimits> = Object.freeze({
  manifestBytes: 1 << 20,
  files: 20_000,
  pathLength: 255,
  totalBytes: 64 * 2 ** 30,
  desiredBytes: 16 << 10,
});

/** Short human form of a bundle: `name@version (target)`. */
export function describeBundle(m: Pick<BundleManifest, 'name' | 'version' | 'target'>): string {
  return `${m.name}@${m.version} (${m.target})`;
}
