/**
 * Task heads a config emits, and which package tensors belong to each, so a conversion can tell
 * which heads the checkpoint trains and which would be left at their seeded init.
 */
import type { RingMoEConfig } from '../ringmoe/config.js';

/**
 * Head groups the config's graphs emit: the task heads the config lists in `tasks` (every modality
 * and fusion entry emits them), plus one fusion block per fusion entry and the change head when
 * any change entry exists.
 */
export function requestedHeads(c: RingMoEConfig): string[] {
  return [...c.tasks, ...c.fusion.map((f) => `fusion:${f.name}`), ...(c.change.length ? ['change'] : [])];
}

/** Name prefixes of a head group's tensors (the FPN neck belongs to segmentation, detection and depth). */
export function headPrefixes(group: string): string[] {
  if (group === 'classification') return ['head.cls.'];
  if (group === 'segmentation') return ['head.seg.', 'head.neck.'];
  if (group === 'detection') return ['head.det.', 'head.neck.'];
  if (group === 'depth') return ['head.depth.', 'head.neck.'];
  if (group === 'change') return ['head.change.'];
  if (group.startsWith('fusion:')) return [`fusion.${group.slice('fusion:'.length)}.`];
  return [];
}

/** Input-independent constants the graphs compute themselves (never read from a checkpoint). */
export const COMPUTED_CONSTANT = /^s\d+\.attn_mask$|^head\.det\.(centres|signs|limits)\b/;
