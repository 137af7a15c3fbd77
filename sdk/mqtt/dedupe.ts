/**
 * A bounded memory of ids already seen, for at-least-once streams: a redelivered result is
 * recognised as long as it arrives within the last `capacity` distinct ids.
 */
import { expectInteger } from '../core/validate.js';

/**
 * Remembers the most recent `capacity` keys (oldest forgotten first).
 * @example
 * const seen = new DedupeWindow(100_000);
 * if (seen.check('drone-7\0' + id)) return; // duplicate
 */
export class DedupeWindow {
  private readonly keys = new Set<string>();

  /** @throws EdgeError E_INVALID_ARGUMENT unless capacity is an integer >= 1 */
  constructor(readonly capacity: number) {
    expectInteger('dedupeCapacity', capacity, 1, 100_000_000);
  }

  /** True when `key` was seen before; otherwise remembers it and returns false. */
  check(key: string): boolean {
    if (this.keys.has(key)) return true;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      // Sets iterate in insertion order: the first key is the oldest.
      this.keys.delete(this.keys.values().next().value as string);
    }
    return false;
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.keys.size;
  }
}
