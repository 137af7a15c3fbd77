/**
 * Reading what a slot holds (name, version) from its stored bundle manifest.
 */
import { parseBundleManifest } from '../bundle/bundle-check.js';
import type { BundleRef } from './agent-states.js';
import type { SlotStore } from '../slots/slot-store.js';

/** The bundle a slot holds, as reports name it. */
export async function slotRef(store: SlotStore, id: string): Promise<BundleRef> {
  const m = parseBundleManifest(await store.readSlotBundle(id), `slot ${id.slice(0, 12)}…/bundle.json`);
  return { name: m.name, version: m.version, manifest: id };
}

/** `name@version`. */
export function labelOf(ref: BundleRef): string {
  return `${ref.name}@${ref.version}`;
}
