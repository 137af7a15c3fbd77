/**
 * What a RingMoE package manifest records of the model: its architecture config and the expert
 * selection (tools/ringmoe/params.ts terms) its expert map holds, so parameter and compute
 * accounting work on pruned packages as on configs.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { recordedConfig, type RingMoEConfig } from './config.js';
import type { ExpertSelection } from './params.js';

/**
 * Reads the selection off `m`'s expert map (first block; pruning keeps every block alike).
 * @throws EdgeError E_PRUNE for a package without an expert map
 */
export function manifestSelection(m: PackageManifest): ExpertSelection {
  const block = m.experts?.blocks[0];
  if (!block) throw new EdgeError('E_PRUNE', `package ${m.name} has no expert map`);
  const modalities = m.modalities.map((x) => x.id);
  const dense = block.experts.filter((e) => e.kind === 'dense');
  if (dense.length)
    return {
      modalities,
      modalPerModality: 0,
      collaborative: 0,
      shared: 0,
      dense: true,
      denseHiddenMultiple: dense[0]!.hidden / block.hidden,
    };
  return {
    modalities,
    modalPerModality: block.experts.filter((e) => e.kind === 'modal' && e.modality === modalities[0]).length,
    collaborative: block.experts.filter((e) => e.kind === 'collaborative').length,
    shared: block.experts.filter((e) => e.kind === 'shared').length,
  };
}

/**
 * The architecture config a RingMoE manifest records (a manifest without `attention` is v2, see
 * recordedConfig). @throws EdgeError E_PRUNE when absent
 */
export function manifestConfig(m: PackageManifest): RingMoEConfig {
  if (!m.model.config)
    throw new EdgeError(
      'E_PRUNE',
      `package ${m.name} records no architecture config (model.config); it cannot be pruned`,
    );
  return recordedConfig(m.model.config, 'manifest.json');
}
