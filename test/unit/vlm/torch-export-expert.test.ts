/**
 * A standard causal-LM ONNX export runs as an RS-MoE expert: the theme expert of the committed
 * trained package, exported by torch.onnx.export in the usual convention (inputs input_ids,
 * attention_mask, position_ids, past_key_values.{i}.{key,value}; outputs logits,
 * present.{i}.{key,value}; weights inside the graph, not in the package's weight file) by the
 * recipe (training/ringmoe_torch/recipes/rsmoe.py, export_decoder), replaces the package's own
 * decoder graph and gives PyTorch's greedy tokens on the golden scene.
 */
import { cpSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { sha256File } from '../../../sdk/package/hash.js';
import { PACKAGE_MANIFEST_FILE, type PackageManifest } from '../../../sdk/package/package-manifest.js';
import { vlmSection } from '../../../sdk/package/vlm-manifest.js';
import { createVlmRuntime } from '../../../sdk/vlm/vlm-runtime.js';
import { tempDir } from '../../helpers/packages.js';
import { rsmoeGolden, rsmoeGoldenFrame, TRAINED_RSMOE } from '../../helpers/rsmoe-trained.js';

const MODEL = TRAINED_RSMOE;
const EXPORT = join(MODEL, 'torch-export', 'decoder.theme.onnx');

const golden = rsmoeGolden;
const frame = rsmoeGoldenFrame;

test('the torch.onnx.export of the theme expert is a standard causal-LM graph with its weights inside', (t) => {
  const bytes = readFileSync(EXPORT);
  for (const name of [
    'input_ids',
    'attention_mask',
    'position_ids',
    'past_key_values.0.key',
    'present.1.value',
    'logits',
  ]) {
    t.true(bytes.includes(Buffer.from(name)), name);
  }
  t.false(bytes.includes(Buffer.from('expert.theme.bin')), 'no external data: the graph holds its weights');
});

test("a torch-exported causal-LM decoder dropped in as the theme expert gives PyTorch's greedy tokens", async (t) => {
  const pkgDir = join(tempDir('torch-expert'), 'package');
  cpSync(join(MODEL, 'package'), pkgDir, { recursive: true });
  const manifestPath = join(pkgDir, PACKAGE_MANIFEST_FILE);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageManifest;
  const theme = vlmSection(manifest).experts.find((e) => e.id === 'theme')!;
  const entry = manifest.entries.find((e) => e.name === theme.decoderEntry)!;
  // Replace the package's own decoder graph (weights in weights/expert.theme.bin) by the export.
  const own = manifest.files[entry.graph]!.sha256;
  cpSync(EXPORT, join(pkgDir, entry.graph));
  manifest.files[entry.graph] = {
    ...manifest.files[entry.graph]!,
    sha256: await sha256File(join(pkgDir, entry.graph)),
    size: statSync(join(pkgDir, entry.graph)).size,
  };
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  t.not(manifest.files[entry.graph]!.sha256, own, 'the package now holds the exported graph, not its own');

  const rt = await createVlmRuntime({ package: pkgDir });
  t.teardown(() => rt.close());
  const r = await rt.caption(frame(), { generation: { maxTokens: 24 } });
  const themeOut = r.experts.find((e) => e.id === 'theme')!;
  t.deepEqual(themeOut.tokens, golden.experts.theme!.tokens, themeOut.text);
  for (const e of r.experts) t.deepEqual(e.tokens, golden.experts[e.id]!.tokens, e.id);
  t.log(`theme (torch export): ${themeOut.text}`);
});
