/**
 * `ringmoe-edge quantize <rsmoe-package> -o <dir> --precision int4|int8 [--held-out frames/]`: the
 * RS-MoE branch of `quantize` — weight-only MatMulNBits quantization of the expert decoders, with a
 * token-agreement fidelity report against the unquantized experts on real frames.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError } from '../../../sdk/internal.js';
import { PACKAGE_MANIFEST_FILE } from '../../../sdk/internal.js';
import { expectInteger, expectOneOf } from '../../../sdk/internal.js';
import type { Frame } from '../../../sdk/internal.js';
import type { QuantizationReport } from '../../rsmoe/quantize-experts.js';
import { type CommandIO } from '../io.js';
import { formatBytes } from '../../format/numbers.js';
import { table } from '../../format/table.js';

export interface ExpertQuantizeResult {
  experts: true;
  dir: string;
  name: string;
  report: QuantizationReport;
}

/** True when `dir` holds an RS-MoE package (a cheap look at its manifest). */
export async function isRsMoePackage(dir: string | undefined): Promise<boolean> {
  if (!dir) return false;
  try {
    return (
      (JSON.parse(await readFile(join(dir, PACKAGE_MANIFEST_FILE), 'utf8')) as { kind?: unknown }).kind === 'rsmoe'
    );
  } catch {
    return false;
  }
}

export async function runExpertQuantize(
  dir: string,
  o: Record<string, unknown>,
  io: CommandIO,
): Promise<ExpertQuantizeResult> {
  const precision = expectOneOf('--precision', o.precision, ['int4', 'int8'] as const);
  const clash = ['calibration', 'entries'].find((k) => o[k] !== undefined);
  if (clash)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--${clash} does not apply to RS-MoE packages (weight-only quantization needs no calibration)`,
      { field: `--${clash}` },
    );
  const heldOut = (o.heldOut as string[] | undefined) ?? [];
  if (heldOut.length === 0)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'RS-MoE quantization needs --held-out frames (RGB images) for its token-agreement report',
      { field: '--held-out', hint: 'e.g. --held-out examples/data/aerial/' },
    );
  const { resolveFiles } = await import('../../frames/files.js');
  const { IMAGE_EXTENSIONS } = await import('../../frames/extensions.js');
  const frames: Frame[] = [];
  for (const src of heldOut) {
    for (const f of await resolveFiles(src.replace(/^optical=/, ''), {
      extensions: IMAGE_EXTENSIONS,
      field: 'heldOut',
    }))
      frames.push({ id: f, modality: 'optical', pixels: f, timestamp: Math.round((await stat(f)).mtimeMs) });
  }
  const max = expectInteger('--max-frames', Number(o.maxFrames ?? 32), 1, 10000);
  const { quantizeExperts } = await import('../../rsmoe/quantize-experts.js');
  const progress = io.progress(`quantizing experts to ${precision}`, 1, 'steps');
  const r = await quantizeExperts({
    dir,
    outDir: String(o.out),
    bits: precision === 'int4' ? 4 : 8,
    blockSize: expectInteger('--block-size', Number(o.blockSize ?? 32), 16, 4096),
    frames: frames.slice(0, max),
    force: Boolean(o.force),
    onProgress: (d, t, l) => progress.update(d, t, l),
  });
  progress.stop();
  return { experts: true, dir: String(o.out), name: r.manifest.name, report: r.report };
}

export function renderExpertQuantize(r: ExpertQuantizeResult, io: CommandIO): void {
  const rep = r.report;
  io.out(
    `wrote ${r.name} to ${r.dir}: expert decoders weight-only ${rep.bits}-bit (MatMulNBits, block ${rep.blockSize}); fidelity on ${rep.frames.length} frame(s) × ${1 + rep.questions.length} request(s), greedy, ${rep.maxTokens} tokens`,
  );
  io.out(
    table(
      ['expert', 'MatMuls', 'weights', 'token agreement', 'identical', 'perplexity of fp32 outputs (fp32 → q)'],
      rep.experts.map((e) => [
        e.expert,
        String(e.matmuls),
        `${formatBytes(e.weightBytes.before)} → ${formatBytes(e.weightBytes.after)}`,
        `${(100 * e.tokenAgreement).toFixed(1)} %`,
        `${e.identical}/${e.requests}`,
        `${e.perplexity.source.toFixed(2)} → ${e.perplexity.quantized.toFixed(2)}`,
      ]),
    ),
  );
  if (rep.note) io.note(`note: ${rep.note}`);
}
