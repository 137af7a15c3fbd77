/**
 * Small pieces shared by the runtime's and the station's Prometheus metrics: counters whose value
 * is read from a snapshot at scrape time, and "enum" gauges (one series per possible state, 1 for
 * the current one), as the Prometheus naming guide recommends for states.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * A counter whose value is read at scrape time (`read` returns the value per label set).
 * @example
 * readCounter(registry, 'ringmoe_frames_received_total', 'Frames received', [], () => [[{}, rt.metrics().frames.received]]);
 */
export function readCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => [Partial<Record<L, string>>, number][] | Promise<[Partial<Record<L, string>>, number][]>,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [labels, v] of await read()) if (Number.isFinite(v) && v > 0) this.inc(labels, v);
    },
  });
}

/** A gauge whose values are read at scrape time. */
export function readGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => [Partial<Record<L, string>>, number][] | Promise<[Partial<Record<L, string>>, number][]>,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [labels, v] of await read()) if (Number.isFinite(v)) this.set(labels, v);
    },
  });
}

/** Series of an enum gauge: 1 for `current`, 0 for every other state. */
export function enumSeries<L extends string>(
  states: readonly string[],
  current: string | undefined,
  extra: Partial<Record<L, string>> = {},
): [Partial<Record<L | 'state', string>>, number][] {
  if (current === undefined) return [];
  const all = states.includes(current) ? states : [...states, current];
  return all.map((s) => [{ ...extra, state: s } as Partial<Record<L | 'state', string>>, s === current ? 1 : 0]);
}

/** Latency buckets in seconds, 1 ms to 30 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
