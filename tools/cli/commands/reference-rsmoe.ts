/**
 * `ringmoe-edge reference rsmoe-tiny -o <dir>`: the RS-MoE branch of `reference`.
 */
import { expectInteger } from '../../../sdk/internal.js';
import { SEEDED_WEIGHTS_NOTE } from '../../../sdk/internal.js';
import type { CommandIO } from '../io.js';

export async function runRsMoeReference(name: string, o: Record<string, unknown>, io: CommandIO) {
  const { rsmoeConfig } = await import('../../rsmoe/config.js');
  const { writeRsMoeReference } = await import('../../rsmoe/reference.js');
  const config = rsmoeConfig(name);
  const seed = expectInteger('--seed', Number(o.seed), 0, 2 ** 31 - 1);
  const progress = io.progress(`writing ${config.name}`, 1 + 2 * config.experts.length, 'graphs');
  const m = await writeRsMoeReference({
    config,
    outDir: String(o.out),
    seed,
    force: Boolean(o.force),
    onGraph: (done, total, g) => progress.update(done, total, g),
  });
  progress.stop();
  return {
    dir: String(o.out),
    name: m.name,
    entries: m.entries.map((e) => e.name),
    files: Object.keys(m.files).length + 1,
    bytes: Object.values(m.files).reduce((s, f) => s + f.size, 0),
    params: m.model.params,
    seed,
    lowering: 'none',
    experts: m.vlm!.experts.map((e) => e.id),
    note: SEEDED_WEIGHTS_NOTE,
  };
}
