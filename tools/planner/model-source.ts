/**
 * What the planner plans over: an architecture config, the experts a package holds now (all of
 * them for a bare config), its lowering and its head parameters — from a package on disk or from
 * a config alone (the paper's 14.7B config is planned, never materialised).
 */
import type { ModalityId } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { stageGeometry, type RingMoEConfig, type TaskHead } from '../ringmoe/config.js';
import { fullSelection, type ExpertSelection } from '../ringmoe/params.js';
import { manifestConfig, manifestSelection } from '../ringmoe/manifest.js';

/** The model the planner plans over. */
export interface PlanModel {
  config: RingMoEConfig;
  /** Experts held now (per kept modality). */
  current: ExpertSelection;
  lowering: 'sparse' | 'dense';
  /** Task-head parameters (classification, neck, segmentation, detection, depth; change when present). */
  headParams: number;
  /** The package planned for; absent when planning from a config. */
  package?: { name: string; sha256: string };
  /** Which entries exist per modality (a config has every entry it defines). */
  changeModalities: ModalityId[];
}

/** Parameters of the task heads (those `c.tasks` lists) a single-modality entry runs, from the config (see tools/ringmoe/emit/heads.ts). */
export function headParamsOf(c: RingMoEConfig, withChange: boolean): number {
  const geo = stageGeometry(c);
  const n = c.taskHeads.neckDim;
  const on = (t: TaskHead) => c.tasks.includes(t);
  const conv = (inCh: number, outCh: number, k = 1) => inCh * outCh * k * k + outCh;
  const neck = geo.reduce((s, g) => s + conv(g.dim, n), 0);
  const cls = on('classification')
    ? geo[geo.length - 1]!.dim * c.taskHeads.classification.labels.length + c.taskHeads.classification.labels.length
    : 0;
  const seg = on('segmentation') ? conv(n, c.taskHeads.segmentation.labels.length) : 0;
  const depth = on('depth') ? conv(n, 1) : 0;
  const det = on('detection') ? conv(n, n, 3) + conv(n, c.taskHeads.detection.labels.length) + conv(n, 4) : 0;
  const change = withChange ? neck + conv(n, 1) : 0;
  return (on('segmentation') || on('detection') || on('depth') ? neck : 0) + cls + seg + depth + det + change;
}

/** The model of a bare config: every expert, sparse lowering, heads from the config. */
export function configModel(c: RingMoEConfig): PlanModel {
  return {
    config: c,
    current: fullSelection(c),
    lowering: 'sparse',
    headParams: headParamsOf(c, c.change.length > 0),
    changeModalities: [...c.change],
  };
}

/** The model of a package. @throws EdgeError E_PRUNE for packages without config or expert map */
export function packageModel(m: PackageManifest, sha256: string): PlanModel {
  return {
    config: manifestConfig(m),
    current: manifestSelection(m),
    lowering: m.model.lowering ?? 'sparse',
    headParams: m.model.params.heads,
    package: { name: m.name, sha256 },
    changeModalities: m.entries.filter((e) => e.kind === 'change').map((e) => e.modalities[0]!),
  };
}
