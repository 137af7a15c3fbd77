/**
 * Time as a side effect behind an interface: the publisher's reconnect backoff, the outbox's fsync
 * interval and every timestamp it writes go through a {@link Clock}, so tests can drive time by hand
 * ({@link ManualClock}) instead of sleeping.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type ClockTimer = { readonly __clockTimer: true } | object;

/** Wall-clock time plus one-shot timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Calls `fn` once after `ms` milliseconds. System timers are unref'd: a pending reconnect or fsync
   * timer never keeps a process alive on its own.
   */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Cancels a timer; unknown or already fired timers are ignored. */
  clearTimeout(timer: ClockTimer): void;
}

/**
 * The real clock: `Date.now()` and unref'd Node timers.
 * @example
 * const publisher = await ResultPublisher.create({ ..., clock: systemClock });
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(timer) {
    clearTimeout(timer as ReturnType<typeof setTimeout>);
  },
};

interface ManualTimer {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires due timers in time order (timers a
 * callback schedules inside the window fire too).
 * @example
 * const clock = new ManualClock(1_700_000_000_000);
 * clock.setTimeout(() => console.log('fired'), 500);
 * clock.advance(500); // prints "fired"
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private order = 0;

  /** @param start initial time in epoch milliseconds */
  constructor(start = 0) {
    this.current = start;
  }

  /** The clock's current time. */
  now(): number {
    return this.current;
  }

  /** Schedules `fn` at now + ms. */
  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: ManualTimer = { at: this.current + Math.max(0, ms), order: this.order++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  /** Cancels a timer made by this clock. */
  clearTimeout(timer: ClockTimer): void {
    (timer as ManualTimer).cancelled = true;
  }

  /** Number of timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      due.cancelled = true;
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.timers = this.timers.filter((t) => !t.cancelled);
    this.current = target;
  }

  /** Sets the time (forward or back) without firing timers; for timestamps in fixtures. */
  set(time: number): void {
    this.current = time;
  }
}
