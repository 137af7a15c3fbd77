import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../tools/ringmoe/reference.js';
import { writeCkpt } from '../helpers/checkpoint-writers.js';
import { runCliProcess as cli } from '../helpers/cli-process.js';
import { packageTensors, releasedCheckpoint } from '../helpers/package-checkpoints.js';
import { tempDir } from '../helpers/packages.js';

const WRITTEN = { base: 'ringmoe-tiny', name: 'cli-convert', modalities: ['optical'], fusion: [], change: [] };

async function checkpoint() {
  const dir = tempDir('cli-conv');
  const c = resolveConfig(WRITTEN as never);
  const pkg = join(dir, 'source');
  const m = await writeReferencePackage({ config: c, outDir: pkg, seed: 2 });
  const file = join(dir, 'trained.ckpt');
  writeCkpt(file, [
    ...releasedCheckpoint(await packageTensors(pkg, m), c, 2),
    { name: 'global_step', dims: [1], data: Float32Array.of(5), dtype: 'int32' },
  ]);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(WRITTEN));
  return { dir, file, config };
}

test('convert --dry-run prints the plan; convert --json writes a package that inspect reads', async (t) => {
  const { dir, file, config } = await checkpoint();
  const dry = await cli(['convert', file, '--config', config, '--dry-run', '--allow-untrained-heads']);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, /trained\.ckpt: ckpt, released RingMoE names, attention v1; config cli-convert \(given\)/);
  t.regex(
    dry.stdout,
    /s1\.b0\.modal\.optical\.2\.fc1\.weight \[8,16\] ← slice\(encoder\.layers\.0\.blocks\.0\.mlp\.special_ffn\.mapping\.weight\)/,
  );
  t.regex(dry.stdout, /ignored \(6\): encoder\.layers\.0\.blocks\.0\.attn\.relative_position_index, .*, global_step\n/);
  t.regex(dry.stdout, /dry run: nothing written/);
  const out = join(dir, 'converted');
  const r = await cli(['convert', file, '--config', config, '-o', out, '--allow-untrained-heads', '--json']);
  t.is(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as {
    entries: string[];
    untrainedHeads: string[];
    transforms: Record<string, number>;
  };
  t.deepEqual(res.entries, ['optical']);
  t.deepEqual(res.untrainedHeads, ['segmentation', 'detection', 'depth']);
  t.true(res.transforms.slice! > 0);
  const inspect = await cli(['inspect', out, '--json']);
  t.is(inspect.code, 0, inspect.stderr);
});

test('BAD CALL - convert: untrained heads exit 1 with the code; no output dir exits 2', async (t) => {
  const { file, config } = await checkpoint();
  const r = await cli(['convert', file, '--config', config, '--dry-run']);
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /error E_CHECKPOINT_UNTRAINED_HEADS: .*trained\.ckpt: config cli-convert emits task heads the checkpoint does not hold: segmentation, detection, depth \(give --allow-untrained-heads/,
  );
  const j = await cli(['convert', file, '--json']);
  t.is(j.code, 2);
  t.is((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'E_INVALID_ARGUMENT');
});
