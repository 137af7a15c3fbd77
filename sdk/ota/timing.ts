/**
 * Time in OTA: every wait (a fetch retry's backoff, a chunk request's answer timeout, the drain of
 * a model being freed, the desired-state poll) and every timestamp goes through a {@link Clock},
 * so tests can drive time by hand instead of sleeping.
 */
import type { Clock, ClockTimer } from '../core/clock.js';

/**
 * The clock OTA uses when none is injected: `Date.now()` and ordinary Node timers. Unlike
 * `systemClock`, its timers keep the process alive: a pending retry or drain is work in progress.
 */
export const otaClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer: ClockTimer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** The error a {@link sleep} cut short rejects with (the same kind as `node:timers/promises`). */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}

/**
 * Resolves after `ms` milliseconds of `clock`.
 * @throws AbortError when `signal` is aborted first (or already)
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
