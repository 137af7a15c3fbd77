/**
 * Readable lines about a fleet summary shared by the commands that print one (`subscribe`, `station`).
 */
import type { FleetSummary } from '../../sdk/internal.js';

/**
 * `, N unverified, not counted (… by kind)` when messages did not verify against the fleet's trust
 * file; empty otherwise.
 * @example
 * unverifiedText(summary.totals) // ', 3 unverified, not counted (2 result, 1 death)'
 */
export function unverifiedText(t: FleetSummary['totals']): string {
  if (!t.unverified) return '';
  const kinds = Object.entries(t.unverifiedByKind)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return `, ${t.unverified} unverified, not counted (${kinds})`;
}
