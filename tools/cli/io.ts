/**
 * How commands talk to the terminal: results are returned as objects, printed as JSON with
 * `--json` or rendered for people otherwise; progress bars go to stderr and only when it is a TTY
 * and the output is not JSON.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** Advances to `value` of `total` (both in the unit the step counts: bytes, frames, tensors). */
  update(value: number, total?: number, label?: string): void;
  stop(): void;
}

export interface CommandIO {
  readonly json: boolean;
  /** Writes a line to stdout (human mode only; JSON mode prints the result object once). */
  out(line?: string): void;
  /** Writes a note to stderr (never mixed into JSON on stdout). */
  note(line: string): void;
  /** A progress reporter for a long step. */
  progress(label: string, total: number, unit?: string): Progress;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

export function createIO(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): CommandIO {
  const tty = Boolean((stderr as NodeJS.WriteStream).isTTY) && !process.env.CI;
  return {
    json,
    out(line = '') {
      if (!json) stdout.write(`${line}\n`);
    },
    note(line) {
      stderr.write(`${line}\n`);
    },
    progress(label, total, unit = '') {
      if (json || !tty) {
        // Non-interactive: one line at the start and one at the end, so logs show the step happened.
        stderr.write(`${label}...\n`);
        let last = 0;
        let lastTotal = total;
        return {
          update(value, t) {
            last = value;
            if (t !== undefined) lastTotal = t;
          },
          stop() {
            stderr.write(`${label}: done (${last}/${lastTotal}${unit ? ` ${unit}` : ''})\n`);
          },
        };
      }
      const bar = new SingleBar(
        { format: `${label} [{bar}] {percentage}% | {value}/{total}${unit ? ` ${unit}` : ''} | {eta_formatted} {step}`, stream: stderr, hideCursor: true, clearOnComplete: false },
        Presets.shades_classic,
      );
      bar.start(Math.max(total, 1), 0, { step: '' });
      return {
        update(value, t, step) {
          if (t !== undefined) bar.setTotal(Math.max(t, 1));
          bar.update(value, { step: step ?? '' });
        },
        stop() {
          bar.stop();
        },
      };
    },
  };
}

export const SILENT_PROGRESS = NO_PROGRESS;

/** Renders rows as an aligned text table: numeric columns right-aligned, text columns left-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => i > 0 && rows.every((r) => /^[-+≈~<>]?\s*[\d.,]+\s*[%×xKMBGTiBms ]*$/.test(String(r[i] ?? '')) || String(r[i] ?? '') === '-'));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** 1234567 → "1.23M"; for parameter counts. */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** Bytes → "12.3 MiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}
