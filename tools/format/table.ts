/**
 * Plain-text tables for readable command output and reports.
 */

/** Renders rows as an aligned text table: numeric columns right-aligned, text columns left-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) =>
      i > 0 &&
      rows.every(
        (r) => /^[-+≈~<>]?\s*[\d.,]+\s*[%×xKMBGTiBms ]*$/.test(String(r[i] ?? '')) || String(r[i] ?? '') === '-',
      ),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
