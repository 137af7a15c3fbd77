/**
 * Fixtures for the pruning tests: calibrated copies of ringmoe-tiny, pruning into temp dirs,
 * running an entry with extra tensors exposed, and counting backbone parameters from the tensors
 * the graphs really hold.
 */
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EntryManifest, PackageManifest } from '../../../sdk/package/package-manifest.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { calibratePackage } from '../../../tools/calibrate/calibrate.js';
import { generatedFrames } from '../../../tools/frames/frame.js';
import { valueInfo } from '../../../tools/onnx/builder.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { ModelProtoSchema, elementCount, toBinary } from '../../../tools/onnx/proto.js';
import { prunePackage, type PruneRequest, type PruneResult } from '../../../tools/prune/prune.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';

export interface Fixture {
  dir: string;
  manifest: PackageManifest;
  hash: string;
}

/** A private copy of ringmoe-tiny (v1 attention unless `attention` says) with routing statistics of 4 generated frames per modality (default: all). */
export async function calibratedTiny(
  o: { upcycled?: boolean; lowering?: 'sparse' | 'dense'; modalities?: string[]; attention?: 'v1' | 'v2' } = {},
): Promise<Fixture> {
  const src = await tinyPackage({
    ...(o.upcycled ? { upcycled: true } : {}),
    ...(o.lowering ? { lowering: o.lowering } : {}),
    ...(o.attention ? { attention: o.attention } : {}),
  });
  const dir = join(tempDir('calibrated'), 'pkg');
  cpSync(src.dir, dir, { recursive: true });
  await calibratePackage({
    dir,
    frames: generatedFrames(4, 7, 'calibration'),
    ...(o.modalities ? { modalities: o.modalities } : {}),
  });
  const pkg = await openPackage(dir);
  return { dir, manifest: pkg.manifest, hash: pkg.packageHash };
}

/** Prunes `dir` into a fresh temp dir with 2 generated evaluation frames. */
export function pruneTo(
  dir: string,
  options: PruneRequest['options'],
  extra: Partial<PruneRequest> = {},
): Promise<PruneResult> {
  return prunePackage({
    dir,
    outDir: join(tempDir('pruned'), 'pkg'),
    options,
    evalFrames: generatedFrames(2, 3, 'eval'),
    ...extra,
  });
}

/**
 * Runs `entry` of the package in `dir` with `extra` tensors added as graph outputs (through a
 * temporary graph inside the package directory, removed afterwards).
 */
export async function runWithOutputs(
  dir: string,
  entry: EntryManifest,
  feeds: Record<string, HostTensor>,
  extra: { name: string; dtype: 'float32' | 'int64' }[],
): Promise<Record<string, HostTensor>> {
  const model = await readModel(join(dir, entry.graph));
  for (const x of extra) model.proto.graph!.output.push(valueInfo(x.name, x.dtype, ['?']));
  const temp = join(dir, `.test-${process.pid}-${entry.name}.onnx`);
  writeFileSync(temp, toBinary(ModelProtoSchema, model.proto));
  try {
    const s = await new OrtBackend().load({ graphPath: temp });
    try {
      return await s.run(feeds);
    } finally {
      await s.dispose();
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Parameters of the experts, routers and patch embeddings counted from the initializers the
 * package's graphs really hold (each tensor once), for comparison with tools/ringmoe/params.ts.
 */
export async function paramsFromGraphs(
  dir: string,
  manifest: PackageManifest,
): Promise<{ experts: number; routers: number; embed: number }> {
  const seen = new Set<string>();
  const n = { experts: 0, routers: 0, embed: 0 };
  for (const e of manifest.entries) {
    for (const t of (await readModel(join(dir, e.graph))).proto.graph!.initializer) {
      if (seen.has(t.name)) continue;
      seen.add(t.name);
      if (/^s\d+\.b\d+\.router\./.test(t.name)) n.routers += elementCount(t.dims);
      else if (/^s\d+\.b\d+\.(modal|collaborative|shared|dense)\b.*\.fc[12]\./.test(t.name))
        n.experts += elementCount(t.dims);
      else if (t.name.startsWith('embed.')) n.embed += elementCount(t.dims);
    }
  }
  return n;
}

/** Every output of two runs is byte-for-byte the same. */
export function sameBytes(a: Record<string, HostTensor>, b: Record<string, HostTensor>): string[] {
  const diff: string[] = [];
  for (const [k, x] of Object.entries(a)) {
    const y = b[k];
    const bx = Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);
    if (!y || !bx.equals(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength))) diff.push(k);
  }
  return diff;
}
