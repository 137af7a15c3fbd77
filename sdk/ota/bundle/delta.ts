/**
 * Expert-level deltas: which blobs of a bundle a device lacks, and how many bytes that is,
 * against the full bundle. Bundles share blobs wherever packages share files (one file per
 * expert), so adding a modality ships that modality's experts, embedding, router and graphs.
 */
import type { BundleManifest } from './bundle-manifest.js';

/** A delta between what a device has and what a bundle needs. */
export interface BundleDelta {
  /** Distinct blobs the bundle needs. */
  blobsTotal: number;
  /** Bytes of those blobs (the full transfer). */
  bytesTotal: number;
  /** Blobs the device lacks. */
  blobsNeeded: number;
  /** Bytes the device must fetch. */
  bytesNeeded: number;
  /** Paths of the files whose blobs travel, sorted. */
  paths: string[];
}

/**
 * The delta from a set of blobs a device holds (or a previous bundle's files) to `target`.
 * @example
 * const d = bundleDelta(v3.manifest, v2.manifest.files.map((f) => f.sha256));
 * console.log(`${d.bytesNeeded} of ${d.bytesTotal} bytes`);
 */
export function bundleDelta(target: BundleManifest, have: Iterable<string>): BundleDelta {
  const held = new Set(have);
  const sizes = new Map<string, number>();
  const paths: string[] = [];
  for (const f of target.files) {
    if (!held.has(f.sha256)) paths.push(f.path);
    sizes.set(f.sha256, f.size);
  }
  let bytesTotal = 0;
  let bytesNeeded = 0;
  let blobsNeeded = 0;
  for (const [h, size] of sizes) {
    bytesTotal += size;
    if (!held.has(h)) {
      blobsNeeded++;
      bytesNeeded += size;
    }
  }
  return { blobsTotal: sizes.size, bytesTotal, blobsNeeded, bytesNeeded, paths: paths.sort() };
}
