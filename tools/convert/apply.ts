/**
 * Applies a conversion plan: writes the package through the reference writer (same graphs,
 * manifest and weight files as `ringmoe-edge reference`) with the checkpoint as the weight
 * source, one tensor in memory at a time, and records a `convert` lineage step.
 */
import { basename } from 'node:path';
import type { ModelInfo, PackageManifest } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { writeReferencePackage } from '../ringmoe/reference.js';
import type { CheckpointReader } from './checkpoint.js';
import type { ConversionPlan } from './plan-types.js';
import { CheckpointSource } from './source.js';

export interface ApplyOptions {
  outDir: string;
  force?: boolean;
  /** Seed of everything the checkpoint does not supply (routers when upcycling, allowed untrained heads). */
  seed?: number;
  lowering?: 'sparse' | 'dense';
  opset?: number;
  /** Called as each package tensor the checkpoint feeds is stored (`total`: the plan's feeds). */
  onTensor?: (done: number, total: number, name: string) => void;
  onEntry?: (done: number, total: number, name: string) => void;
  /** The preprocessing the checkpoint was trained with, recorded as the package's `model.preprocessing`. */
  preprocessing?: ModelInfo['preprocessing'];
}

/** What the lineage lists about where each tensor came from. */
export function lineageParams(
  plan: ConversionPlan,
  sha256: string,
  seed: number,
  seededHeads: string[],
): Record<string, unknown> {
  return {
    checkpoint: basename(plan.file),
    sha256,
    format: plan.format,
    family: plan.family,
    attention: plan.flavour,
    mlp: plan.mlp,
    config: plan.config.name,
    configOrigin: plan.configOrigin,
    seed,
    ignored: plan.ignored,
    initialised: plan.feeds
      .filter((f) => f.transform.op === 'const')
      .map((f) => ({ tensor: f.target, value: (f.transform as { value: number }).value, reason: f.reason })),
    seeded: plan.feeds.filter((f) => f.transform.op === 'seed').map((f) => ({ tensor: f.target, reason: f.reason })),
    untrainedHeads: plan.untrainedHeads,
    untrainedHeadTensors: seededHeads,
    ...(plan.guessed ? { guessed: plan.guessed } : {}),
  };
}

/**
 * Writes the converted package.
 * @throws EdgeError E_OUTPUT_EXISTS, E_IO, the readers' E_CHECKPOINT_* codes
 */
export async function applyConversion(
  plan: ConversionPlan,
  reader: CheckpointReader,
  o: ApplyOptions,
): Promise<PackageManifest> {
  const seed = o.seed ?? 0;
  const sha256 = reader.sha256();
  const source = new CheckpointSource(reader, plan, o.onTensor);
  return writeReferencePackage({
    config: plan.config,
    outDir: o.outDir,
    seed,
    ...(o.lowering ? { lowering: o.lowering } : {}),
    ...(o.opset ? { opset: o.opset } : {}),
    ...(o.force !== undefined ? { force: o.force } : {}),
    source,
    doc: `converted from ${basename(plan.file)} (${plan.format})`,
    // after every entry is emitted, when the seeded head tensors are known
    lineage: () => [
      {
        step: 'convert',
        params: lineageParams(plan, sha256, seed, source.seededHeads),
        tool: `ringmoe-edge ${VERSION}`,
      },
    ],
    ...(o.onEntry ? { onEntry: o.onEntry } : {}),
    ...(o.preprocessing ? { preprocessing: o.preprocessing } : {}),
    ...(plan.dense ? { experts: plan.dense } : {}),
  });
}
