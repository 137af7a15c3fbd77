/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4) for scrape tests: every
 * line must be a `# HELP`, a `# TYPE` or a sample of a declared family with well-formed labels and
 * a number; names must follow the naming rules (counters end in `_total`, units in base units).
 */

/** One sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Families (name → type) and samples of a scrape. */
export interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
  /** Value of the one sample of `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of `name`. */
  all(name: string): Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

/**
 * Parses a scrape; throws with the line number on anything malformed.
 * @example
 * const s = parseExposition(await (await fetch(url)).text());
 * s.value('ringmoe_frames_completed_total');
 */
export function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('exposition must end with a newline');
  lines.slice(0, -1).forEach((line, i) => {
    const at = `line ${i + 1}: ${line}`;
    if (line === '') return; // the format allows empty lines between families
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ')[0]!;
      if (!NAME.test(name)) throw new Error(`bad metric name, ${at}`);
      helps.add(name);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!NAME.test(name!) || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!))
        throw new Error(`bad TYPE, ${at}`);
      if (!helps.has(name!)) throw new Error(`TYPE without HELP, ${at}`);
      if (type === 'counter' && !name!.endsWith('_total')) throw new Error(`counter not named *_total, ${at}`);
      types.set(name!, type!);
      return;
    }
    if (line.startsWith('#')) throw new Error(`unexpected line, ${at}`);
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`malformed sample, ${at}`);
    const name = m[1]!;
    const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((n) => types.has(n));
    if (!family) throw new Error(`sample of an undeclared family, ${at}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[3].length) {
        const l = LABEL.exec(m[3]);
        if (!l) throw new Error(`malformed labels, ${at}`);
        labels[l[1]!] = l[2]!.replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') throw new Error(`bad value, ${at}`);
    samples.push({ name, labels, value });
  });
  const all = (name: string) => samples.filter((s) => s.name === name);
  return {
    types,
    samples,
    all,
    value(name, labels = {}) {
      const hits = all(name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return hits[0]?.value;
    },
  };
}
