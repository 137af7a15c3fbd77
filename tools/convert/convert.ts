/**
 * One call for the whole conversion: open the checkpoint, plan, apply (or only plan).
 */
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import type { RingMoEConfig } from '../ringmoe/config.js';
import { applyConversion, type ApplyOptions } from './apply.js';
import type { CheckpointFormat } from './checkpoint.js';
import { openCheckpoint } from './open.js';
import { planConversion, type PlanOptions } from './plan.js';
import type { ConversionPlan } from './plan-types.js';

export interface ConvertOptions extends PlanOptions, Partial<ApplyOptions> {
  checkpoint: string;
  format?: CheckpointFormat;
  config?: RingMoEConfig;
  /** Plan only: no package is written. */
  dryRun?: boolean;
}

export interface ConvertResult {
  plan: ConversionPlan;
  /** Absent for a dry run. */
  manifest?: PackageManifest;
}

/**
 * Converts `o.checkpoint` into a package at `o.outDir` (or plans it, with `dryRun`).
 * @throws EdgeError E_CHECKPOINT_* (see docs/convert.md), E_OUTPUT_EXISTS, E_IO
 */
export async function convertCheckpoint(o: ConvertOptions): Promise<ConvertResult> {
  const reader = openCheckpoint(o.checkpoint, o.format);
  try {
    const plan = planConversion(reader.index(), {
      ...(o.from ? { from: o.from } : {}),
      ...(o.config ? { config: o.config } : {}),
      ...(o.allowUntrainedHeads ? { allowUntrainedHeads: true } : {}),
    });
    if (o.dryRun) return { plan };
    if (!o.outDir)
      throw new EdgeError('E_INVALID_ARGUMENT', 'an output directory is needed unless this is a dry run', {
        field: 'outDir',
      });
    const manifest = await applyConversion(plan, reader, { ...o, outDir: o.outDir });
    return { plan, manifest };
  } finally {
    reader.close();
  }
}
