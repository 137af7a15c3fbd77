/**
 * The health check every model host runs after a switch: checked options, probe frames per entry
 * (or task) judged against a latency budget and the host's own output check, and the report. The
 * hosts differ only in how one probe runs and what its outputs must satisfy.
 */
import { type EdgeError, messageOf } from '../../core/errors.js';
import { invalidOption, is } from '../../core/validate.js';
import type { HealthCheckOptions, HealthFailure, HealthReport } from './model-host.js';

/** One probe's latency and, evaluated only when it is within budget, what is wrong with its outputs. */
export interface ProbeResult {
  ms: number;
  problem: () => string | undefined;
}

/** Frames per entry and the latency budget, defaults filled in. @throws EdgeError E_INVALID_ARGUMENT */
export function healthSettings(options: HealthCheckOptions): { frames: number; budget: number } {
  const frames = options.frames ?? 3;
  const budget = options.latencyBudgetMs ?? 1000;
  if (!Number.isInteger(frames) || frames < 1) throw invalidOption('health.frames', 'an integer >= 1', frames);
  if (!is.number(budget) || budget <= 0) throw invalidOption('health.latencyBudgetMs', 'a number > 0', budget);
  return { frames, budget };
}

/** Median of `xs` (0 for none). */
export function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs `frames` probes of each name in turn and reports them; `live` are failures of real frames
 * on this model since it became active, which count against it too.
 * @param probe runs probe `i` of `name`; a throw is a failure with the error's code (else E_INFERENCE)
 */
export async function runHealthCheck(
  model: string,
  names: readonly string[],
  settings: { frames: number; budget: number },
  probe: (name: string, i: number) => Promise<ProbeResult>,
  live: readonly HealthFailure[],
): Promise<HealthReport> {
  const { frames, budget } = settings;
  const failures: HealthFailure[] = [];
  const times: number[] = [];
  let passed = 0;
  for (const name of names) {
    for (let i = 0; i < frames; i++) {
      let failure: HealthFailure | undefined;
      try {
        const r = await probe(name, i);
        times.push(r.ms);
        if (r.ms > budget) {
          failure = {
            entry: name,
            code: 'E_HEALTH_CHECK',
            reason: `${name} took ${r.ms.toFixed(2)} ms, over the ${budget} ms budget`,
          };
        } else {
          const problem = r.problem();
          if (problem) failure = { entry: name, code: 'E_HEALTH_CHECK', reason: `${name}: ${problem}` };
        }
      } catch (err) {
        failure = { entry: name, code: (err as EdgeError).code ?? 'E_INFERENCE', reason: `${name}: ${messageOf(err)}` };
      }
      if (failure) failures.push(failure);
      else passed++;
    }
  }
  failures.push(...live);
  return {
    ok: failures.length === 0,
    model,
    frames: names.length * frames,
    passed,
    latencyBudgetMs: budget,
    medianMs: median(times),
    maxMs: times.length ? Math.max(...times) : 0,
    failures,
  };
}
