/**
 * Named package fixtures, generated on first use per test process into a temp dir that is removed
 * at exit, plus helpers to run an entry on deterministic random inputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntryManifest, PackageManifest } from '../../sdk/package/package-manifest.js';
import type { HostTensor } from '../../sdk/core/host-tensor.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { namedConfig } from '../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../tools/ringmoe/reference.js';
import { Rng } from '../../tools/frames/seeded.js';

let root: string | undefined;
/** A fresh directory under this process's temp root. */
export function tempDir(prefix = 'case'): string {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'ringmoe-edge-test-'));
    process.on('exit', () => rmSync(root!, { recursive: true, force: true }));
  }
  return mkdtempSync(join(root, `${prefix}-`));
}

const cache = new Map<string, Promise<{ dir: string; manifest: PackageManifest }>>();

/**
 * A ringmoe-tiny reference package (cached per options within the process); `attention` picks the
 * flavour (default: the named config's, v1).
 */
export function tinyPackage(
  o: {
    seed?: number;
    lowering?: 'sparse' | 'dense';
    upcycled?: boolean;
    config?: string;
    attention?: 'v1' | 'v2';
  } = {},
): Promise<{ dir: string; manifest: PackageManifest }> {
  const key = JSON.stringify(o);
  let p = cache.get(key);
  if (!p) {
    const dir = join(tempDir('pkg'), 'package');
    p = writeReferencePackage({
      config: { ...namedConfig(o.config ?? 'ringmoe-tiny'), ...(o.attention ? { attention: o.attention } : {}) },
      outDir: dir,
      seed: o.seed ?? 0,
      lowering: o.lowering ?? 'sparse',
      upcycled: o.upcycled ?? false,
    }).then((manifest) => ({ dir, manifest }));
    cache.set(key, p);
  }
  return p;
}

/** Deterministic inputs for an entry (batch `n`), values in [-2, 2). */
export function randomFeeds(entry: EntryManifest, n = 2, seed = 1): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const input of entry.inputs) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : n));
    const rng = new Rng(seed, `${entry.name}:${input.name}`);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform() * 4 - 2;
    feeds[input.name] = { dtype: 'float32', shape, data };
  }
  return feeds;
}

/** Runs one entry of a package on `feeds` with onnxruntime. */
export async function runEntry(
  dir: string,
  entry: EntryManifest,
  feeds: Record<string, HostTensor>,
): Promise<Record<string, HostTensor>> {
  const session = await new OrtBackend().load({ graphPath: join(dir, entry.graph) });
  try {
    return await session.run(feeds);
  } finally {
    await session.dispose();
  }
}

/** Largest absolute difference between two float tensors (Infinity if shapes differ). */
export function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  let m = 0;
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}
