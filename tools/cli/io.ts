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

export function createIO(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): CommandIO {
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
        {
          format: `${label} [{bar}] {percentage}% | {value}/{total}${unit ? ` ${unit}` : ''} | {eta_formatted} {step}`,
          stream: stderr,
          hideCursor: true,
          clearOnComplete: false,
        },
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
