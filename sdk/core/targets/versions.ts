/**
 * Dotted version numbers ("8.5.2", "10.3.0.30", "6.2.1"): parse, compare, and match a version
 * someone has installed against the shorter form a profile records.
 */

/** Numeric components of a dotted version, or undefined when it is not one. */
export function parseVersion(text: string): number[] | undefined {
  if (!/^\d+(\.\d+)*$/.test(text)) return undefined;
  return text.split('.').map(Number);
}

/** Orders two dotted versions numerically ("10.3" > "8.6.2"); missing components count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [];
  const pb = parseVersion(b) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * True when one version is a component-wise prefix of the other: "10.3" matches "10.3.0.30" and
 * "8.5" matches "8.5.2", but "10.3" does not match "10.13".
 */
export function versionsMatch(a: string, b: string): boolean {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return false;
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) if (pa[i] !== pb[i]) return false;
  return true;
}
