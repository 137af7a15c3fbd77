/**
 * Assembling an RS-MoE package from a training run (tools/rsmoe/trained-package.ts): a run folder
 * rebuilt from the committed trained package (its tensors read back out of the package's weight
 * files) assembles into a byte-identical package; a run folder with a missing, mis-shaped or
 * extra tensor, a bad config field or no tokenizer is refused with a coded error naming it.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { PackageManifest } from '../../../sdk/package/package-manifest.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { externalInfo } from '../../../tools/onnx/tensor-data.js';
import { planTrainedRsMoe, writeTrainedRsMoe } from '../../../tools/rsmoe/trained-package.js';
import { main as evalMain } from '../../../tools/scripts/rsmoe-eval.js';
import { main as packageMain } from '../../../tools/scripts/rsmoe-package.js';
import { writeSafetensors, type TestTensor } from '../../helpers/checkpoint-writers.js';
import { tempDir } from '../../helpers/packages.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';

const MODEL = join(REPO_ROOT, 'models', 'rsmoe-statlog-tiny');
const PACKAGE = join(MODEL, 'package');
const manifest = JSON.parse(readFileSync(join(PACKAGE, 'ringmoe.json'), 'utf8')) as PackageManifest;

/** The trained tensors, read back from the package's graphs and weight files. */
async function packageTensors(): Promise<TestTensor[]> {
  const out = new Map<string, TestTensor>();
  for (const e of manifest.entries) {
    const m = await readModel(join(PACKAGE, e.graph));
    for (const t of m.proto.graph!.initializer) {
      const info = externalInfo(t);
      if (!info || out.has(t.name)) continue;
      const bytes = readFileSync(join(PACKAGE, info.location)).subarray(info.offset, info.offset + info.length!);
      out.set(t.name, {
        name: t.name,
        dims: t.dims.map(Number),
        data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      });
    }
  }
  return [...out.values()];
}

/** A run folder as the recipe writes it, from the committed package. */
function runFolder(
  tensors: TestTensor[],
  name: string,
  config: Record<string, unknown> = manifest.model.config as Record<string, unknown>,
): string {
  const dir = tempDir(name);
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'rsmoe.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  copyFileSync(join(PACKAGE, 'tokenizer', 'tokenizer.json'), join(dir, 'tokenizer.json'));
  copyFileSync(join(PACKAGE, 'tokenizer', 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  copyFileSync(join(MODEL, 'metrics.json'), join(dir, 'metrics.json'));
  return dir;
}

test("the committed package's tensors reassemble into a byte-identical package", async (t) => {
  const tensors = await packageTensors();
  t.is(
    tensors.reduce((s, x) => s + x.data.length, 0),
    417_472,
  );
  const run = runFolder(tensors, 'rsmoe-run');
  const plan = await planTrainedRsMoe(run);
  t.is(plan.params, 417_472);
  t.is(plan.tokenizer.vocab, 81);
  const out = join(tempDir('rsmoe-rebuilt'), 'package');
  const m = await writeTrainedRsMoe(plan, { outDir: out });
  t.deepEqual(m.files, manifest.files);
  t.deepEqual(readFileSync(join(out, 'ringmoe.json')), readFileSync(join(PACKAGE, 'ringmoe.json')));
});

test('a run folder with a missing, mis-shaped or extra tensor is refused naming the tensor', async (t) => {
  const tensors = await packageTensors();
  const missing = runFolder(
    tensors.filter((x) => x.name !== 'expert.relations.lm_head.weight'),
    'rsmoe-missing',
  );
  await t.throwsAsync(planTrainedRsMoe(missing), {
    code: 'E_CHECKPOINT_MISMATCH',
    message: /no tensor expert\.relations\.lm_head\.weight/,
  } as never);
  const shaped = runFolder(
    tensors.map((x) => (x.name === 'vision.pos' ? { ...x, dims: [1, x.data.length / 32, 32] } : x)),
    'rsmoe-shape',
  );
  await t.throwsAsync(planTrainedRsMoe(shaped), {
    message: /vision\.pos is \[1,32,32\] but the graph needs \[1,16,64\]/,
  });
  const extra = runFolder(
    [...tensors, { name: 'expert.extra.weight', dims: [2], data: new Float32Array(2) }],
    'rsmoe-extra',
  );
  await t.throwsAsync(planTrainedRsMoe(extra), { message: /tensors the graphs do not use: expert\.extra\.weight/ });
});

test('a bad config field or a missing tokenizer is a coded error naming it', async (t) => {
  const tensors = await packageTensors();
  const cfg = manifest.model.config as Record<string, unknown>;
  const badPatch = runFolder(tensors, 'rsmoe-cfg', { ...cfg, vision: { ...(cfg.vision as object), patch: 7 } });
  await t.throwsAsync(planTrainedRsMoe(badPatch), {
    code: 'E_CONFIG',
    message: /vision\.patch must be a divisor of inputSize 48/,
  } as never);
  const badRole = runFolder(tensors, 'rsmoe-role', { ...cfg, experts: [{ id: 'theme', role: 'poet' }] });
  await t.throwsAsync(planTrainedRsMoe(badRole), { message: /experts\[0\]\.role must be one of/ });
  const noTok = runFolder(tensors, 'rsmoe-notok');
  rmSync(join(noTok, 'tokenizer.json'));
  await t.throwsAsync(planTrainedRsMoe(noTok), { code: 'E_FILE_NOT_FOUND', message: /no tokenizer\.json/ } as never);
});

/** Runs a script's main with stdout and stderr captured. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((err += String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await fn(), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

test.serial('rsmoe-package.ts: --dry-run --json prints the plan; a bad run folder exits 1 with the code', async (t) => {
  const run = runFolder(await packageTensors(), 'rsmoe-script');
  const ok = await capture(() => packageMain([run, '--dry-run', '--json']));
  t.is(ok.code, 0, ok.err);
  const plan = (JSON.parse(ok.out) as { plan: { params: number; experts: string[]; vocab: number } }).plan;
  t.deepEqual([plan.params, plan.experts, plan.vocab], [417_472, ['theme', 'objects', 'relations'], 81]);
  rmSync(join(run, 'config.json'));
  const bad = await capture(() => packageMain([run, '-o', join(tempDir('rsmoe-script-out'), 'p')]));
  t.is(bad.code, 1);
  t.regex(bad.err, /^rsmoe-package: E_FILE_NOT_FOUND: .*the training run has no config\.json/);
  t.is((await capture(() => packageMain([]))).code, 1);
});

test.serial('rsmoe-eval.ts: usage and an unreadable Statlog table exit 1 with the code', async (t) => {
  const usage = await capture(() => evalMain([]));
  t.is(usage.code, 1);
  t.regex(usage.err, /E_INVALID_ARGUMENT: .*usage: rsmoe-eval\.ts <package>/);
  const missing = await capture(() => evalMain([PACKAGE, '--statlog', join(tempDir('rsmoe-nocsv'), 'none.csv')]));
  t.is(missing.code, 1);
  t.regex(missing.err, /E_IO: .*cannot read the Statlog table/);
});
