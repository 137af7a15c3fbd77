/**
 * The run's summary: each result's ratio against its goal, how long each benchmark took and the
 * machine's load while it ran, as JSON (for machines) and as a Markdown table (for BENCHMARKS.md).
 */
import type { BenchResult } from './harness.js';

export interface TimedBench {
  name: string;
  seconds: number;
  /** One-minute load average when the benchmark started and when it ended. */
  load: [number, number];
  results: BenchResult[];
}

export interface RunSummary {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  totalSeconds: number;
  benches: TimedBench[];
}

/**
 * Whether `value` meets a goal written as `≤ x`, `<= x`, `≥ x`, `>= x`, `< x`, `> x` or
 * `… (a–b)`; undefined where the goal is not a number to compare against (or there is none).
 */
export function goalMet(goal: string | undefined, value: number): boolean | undefined {
  if (!goal) return undefined;
  const range = /\(([\d.]+)\s*[–-]\s*([\d.]+)\)/.exec(goal);
  if (range) return value >= Number(range[1]) && value <= Number(range[2]);
  const m = /^\s*(<=|≤|>=|≥|<|>)\s*([\d.]+)\s*$/.exec(goal);
  if (!m) return undefined;
  const x = Number(m[2]);
  switch (m[1]) {
    case '<=':
    case '≤':
      return value <= x;
    case '>=':
    case '≥':
      return value >= x;
    case '<':
      return value < x;
    default:
      return value > x;
  }
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function markdownSummary(s: RunSummary): string {
  const lines = [
    `Run of ${s.date}: ${s.benches.length} benchmarks in ${(s.totalSeconds / 60).toFixed(1)} min ` +
      `(Node ${s.node}, ${s.platform}, ${s.cpus} CPUs).`,
    '',
    '| result | ratio | value | goal | met | bench time | load (start → end) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const b of s.benches) {
    const time = `${Math.round(b.seconds)} s`;
    const load = `${b.load[0].toFixed(1)} → ${b.load[1].toFixed(1)}`;
    for (const r of b.results) {
      const met = goalMet(r.ratio.goal, r.ratio.value);
      lines.push(
        `| ${cell(r.name)} | ${cell(r.ratio.label)} | ${r.ratio.value.toFixed(3)} | ${cell(r.ratio.goal ?? '—')} | ` +
          `${met === undefined ? '—' : met ? 'yes' : 'no'} | ${time} | ${load} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
