/**
 * `npx tsx tools/scripts/rsmoe-eval.ts <package> [--heldout file] [--pytorch file | --no-pytorch]
 *  [--statlog csv] [--limit N] [--timed N] [--batch N] [--out report.json] [--write-scenes dir] [--json]`:
 * scores an RS-MoE package on the held-out Statlog scenes through the SDK (BLEU-4, CIDEr-D, VQA
 * exact match against the template baselines, time to first token and tokens/s); see
 * tools/rsmoe/evaluate-trained.ts. `--write-scenes dir` also writes the first --limit scenes as PNG
 * frames (lossless: `ringmoe-edge run <package> --source dir/heldout-000.png --task caption`).
 *
 * Defaults: --heldout models/rsmoe-statlog-tiny/heldout.json, --pytorch (compare every expert text
 * with the recipe's greedy PyTorch texts) models/rsmoe-statlog-tiny/pytorch-heldout.json unless
 * --heldout is given, --statlog
 * ../shared/data/labels/mlbench_statlog_landsat/statlog_satellite.csv (beside the repository, or
 * under $RINGMOE_SHARED_DATA). Exit 0: scored; 1: a coded error (on stderr).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { createVlmRuntime } from '../../sdk/internal.js';
import { evaluateRsMoe, loadPytorchOutputs } from '../rsmoe/evaluate-trained.js';
import { loadHeldOut, loadStatlogCsv, renderScene } from '../rsmoe/statlog-scenes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_HELDOUT = join(root, 'models', 'rsmoe-statlog-tiny', 'heldout.json');
export const DEFAULT_PYTORCH = join(root, 'models', 'rsmoe-statlog-tiny', 'pytorch-heldout.json');
export const DEFAULT_STATLOG = join(
  process.env.RINGMOE_SHARED_DATA ?? join(root, '..', 'shared', 'data'),
  'labels',
  'mlbench_statlog_landsat',
  'statlog_satellite.csv',
);

export async function main(argv: string[]): Promise<number> {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string) => {
    const v = flag(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new EdgeError('E_INVALID_ARGUMENT', `${name} must be a non-negative integer`, { field: name });
    return n;
  };
  const json = argv.includes('--json');
  try {
    const pkg = argv[0];
    if (!pkg || pkg.startsWith('-'))
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        'usage: rsmoe-eval.ts <package> [--heldout file] [--pytorch file | --no-pytorch] [--statlog csv] [--limit N] [--timed N] [--out report.json] [--write-scenes dir] [--json]',
        { field: 'package' },
      );
    const table = await loadStatlogCsv(resolve(flag('--statlog') ?? DEFAULT_STATLOG));
    const heldOut = await loadHeldOut(resolve(flag('--heldout') ?? DEFAULT_HELDOUT), table);
    const limit = int('--limit') ?? heldOut.scenes.length;
    const pytorchFile = flag('--pytorch') ?? (flag('--heldout') ? undefined : DEFAULT_PYTORCH);
    const pytorch =
      pytorchFile && !argv.includes('--no-pytorch') ? await loadPytorchOutputs(resolve(pytorchFile)) : undefined;
    const scenesDir = flag('--write-scenes');
    if (scenesDir) {
      await mkdir(scenesDir, { recursive: true });
      for (const [i, s] of heldOut.scenes.slice(0, limit).entries()) {
        const px = renderScene(table, s.rows);
        await writeFile(
          join(scenesDir, `heldout-${String(i).padStart(3, '0')}.png`),
          await sharp(Buffer.from(px.data as Uint8Array), { raw: { width: px.width, height: px.height, channels: 3 } })
            .png()
            .toBuffer(),
        );
      }
    }
    const runtime = await createVlmRuntime({ package: resolve(pkg) });
    try {
      const t0 = performance.now();
      const report = await evaluateRsMoe({
        runtime,
        heldOut,
        table,
        limit,
        batch: int('--batch') ?? 32,
        timedRequests: int('--timed') ?? 20,
        ...(pytorch ? { pytorch } : {}),
        onProgress: (d, t) => !json && process.stderr.write(`\r  ${d}/${t} requests`),
      });
      if (!json) process.stderr.write('\n');
      const out = {
        package: runtime.name,
        packageHash: runtime.packageHash,
        seconds: (performance.now() - t0) / 1000,
        ...report,
      };
      if (flag('--out')) await writeFile(resolve(flag('--out')!), `${JSON.stringify(out, null, 2)}\n`);
      if (json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else {
        const p = (x: number) => `${(100 * x).toFixed(1)} %`;
        const c = report.caption;
        process.stdout.write(
          [
            `${out.package} on ${report.scenes} held-out scenes (${report.vqa.questions} questions), ${out.seconds.toFixed(1)} s`,
            `caption  BLEU-4 ${c.model.bleu4.toFixed(3)} (baseline ${c.baseline.bleu4.toFixed(3)})  CIDEr-D ${c.model.ciderD.toFixed(3)} (baseline ${c.baseline.ciderD.toFixed(3)})`,
            `         expert part exact: ${Object.entries(c.expertPartExact)
              .map(([k, v]) => `${k} ${p(v)}`)
              .join(', ')}`,
            `vqa      exact match ${p(report.vqa.model.accuracy)} (baseline ${p(report.vqa.baseline.accuracy)})`,
            ...Object.entries(report.vqa.model.byType).map(
              ([t, v]) =>
                `         ${t}: ${p(v.accuracy)} of ${v.questions} (baseline "${report.vqa.baseline.byType[t]!.answer}" ${p(report.vqa.baseline.byType[t]!.accuracy)})`,
            ),
            ...(report.pytorchAgreement
              ? [
                  `pytorch  ${report.pytorchAgreement.equal}/${report.pytorchAgreement.expertTexts} expert texts equal PyTorch's greedy texts (${report.pytorchAgreement.scenes} scenes)${report.pytorchAgreement.firstMismatch ? `; first difference: ${JSON.stringify(report.pytorchAgreement.firstMismatch)}` : ''}`,
                ]
              : []),
            ...(report.timing
              ? [
                  `latency  median TTFT ${report.timing.medianTtftMs.toFixed(1)} ms, ${report.timing.medianTokensPerSecond.toFixed(0)} tokens/s (${report.timing.medianTokens} tokens over 3 experts, ${report.timing.medianLatencyMs.toFixed(1)} ms per caption; ${report.timing.requests} single requests)`,
                ]
              : []),
            ...report.examples.map(
              (e) =>
                `example  scene ${e.scene}: "${e.caption}"\n         reference "${e.reference}"\n         ${e.question} → "${e.answer}" (expected "${e.expected}")`,
            ),
          ].join('\n') + '\n',
        );
      }
    } finally {
      await runtime.close();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`rsmoe-eval: ${err instanceof EdgeError ? err.code : 'E_INTERNAL'}: ${messageOf(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
