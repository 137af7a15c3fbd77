/**
 * Waiters for the connection attempt in flight: each resolves when the attempt settles (online or
 * ended) or after its own timeout on the clock, whichever comes first.
 */
import type { Clock } from '../core/clock.js';

/** @internal */
export class AttemptWaiters {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolves on the next {@link settle} or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.clock.clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Resolves every waiter. */
  settle(): void {
    for (const w of [...this.waiters]) w();
  }
}
