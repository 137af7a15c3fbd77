/**
 * `ringmoe-edge quantize <package> -o <dir> --precision int8|fp16 [--target <id>]`: INT8 in the
 * format the target's runtime runs fastest (TensorRT: explicit Q/DQ, ranges calibrated on the
 * host, the calibration method chosen by measured fidelity; onnxruntime CPU: MatMuls quantized at
 * run time) or FP16 weights, with a fidelity report on held-out frames; refused below the fidelity
 * floor unless `--accept-loss`.
 */
import { EdgeError } from '../../../sdk/internal.js';
import { expectInteger, expectNumber, expectOneOf, INT8_FORMATS, loadTarget } from '../../../sdk/internal.js';
import type { Int8FormatChoice } from '../../quantize/int8-format.js';
import type { CommandSpec } from '../command.js';
import { addSensorOptions, readSensorFlags, sensorFor } from '../sensor-flags.js';
import { formatBytes } from '../../format/numbers.js';
import { table } from '../../format/table.js';
import {
  isRsMoePackage,
  renderExpertQuantize,
  runExpertQuantize,
  type ExpertQuantizeResult,
} from './quantize-rsmoe.js';

export interface Result {
  dir: string;
  precision: string;
  method?: string;
  bytes: { source: number; output: number };
  report: import('../../quantize/report.js').QuantizationReport;
  statsSha256?: string;
}

const list = (v: string, prev: string[] = []) => [...prev, v];

/** `640x480` or `640` → { height, width }. */
function parseSize(text: string): { height: number; width: number } {
  const m = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!m)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--input-size must be <height>x<width> or <size> (got ${JSON.stringify(text)})`,
      { field: '--input-size' },
    );
  const height = expectInteger('--input-size', Number(m[1]), 1, 16384);
  const width = expectInteger('--input-size', Number(m[2] ?? m[1]), 1, 16384);
  return { height, width };
}

export const spec: CommandSpec<Result | ExpertQuantizeResult> = {
  name: 'quantize',
  optionFlags: {
    'floors.cosine': '--min-cosine',
    'floors.agreement': '--min-agreement',
    'floors.depthError': '--max-depth-error',
  },
  summary: 'quantize a package to INT8 (Q/DQ, calibrated on the host) or FP16, with a fidelity report',
  examples: [
    'ringmoe-edge quantize pkg/small -o pkg/small-int8 --precision int8 --calibration optical=frames/ --held-out optical=other-frames/',
    'ringmoe-edge quantize pkg/small -o pkg/small-int8 --precision int8 --calibration optical=frames/ --method max --min-cosine 0.995',
    'ringmoe-edge quantize pkg/small -o pkg/small-int8 --precision int8 --calibration generated:sar-l1:32 --entries sar-l1',
    'ringmoe-edge quantize pkg/small -o pkg/small-cpu-int8 --precision int8 --target cpu-x86-64-onnxruntime',
    'ringmoe-edge quantize pkg/small -o pkg/small-fp16 --precision fp16',
    'ringmoe-edge quantize pkg/rsmoe -o pkg/rsmoe-int4 --precision int4 --held-out examples/data/aerial/',
    'ringmoe-edge quantize pkg/vendor-audio -o pkg/vendor-audio-int8 --precision int8 --calibration input=clips.npy --held-out input=other-clips.npy',
  ],
  configure(cmd) {
    cmd
      .argument('<package>', 'fp32 source package directory')
      .requiredOption('-o, --out <dir>', 'output package directory')
      .requiredOption(
        '--precision <p>',
        'int8 or fp16 (RS-MoE packages: int4 or int8, weight-only MatMulNBits of the expert decoders)',
      )
      .option(
        '--target <id>',
        'device target id or profile file: INT8 is written in its int8Format (TensorRT: qdq-symmetric; onnxruntime CPU: cpu-dynamic)',
      )
      .option(
        '--int8-format <f>',
        'INT8 format, overriding the target: qdq-symmetric (TensorRT) or cpu-dynamic (onnxruntime CPU; no calibration)',
      )
      .option('--block-size <n>', 'RS-MoE: rows per MatMulNBits quantization block (power of two, default 32)')
      .option(
        '--calibration <frames>',
        'calibration frames: [<modality>=]<file|dir|glob>, generated[:<modality>][:<count>[:<seed>]], or raw tensors for inputs without a modality: [<input>=]<file.npy|file.npz[:<array>]> (repeatable; default: generated frames of each modality)',
        list,
      )
      .option(
        '--held-out <frames>',
        'held-out frames for the fidelity report, same forms or random:<input>[:<count>[:<seed>]] (repeatable; default: a quarter of the calibration frames, or generated ones)',
        list,
      )
      .option(
        '--input-size <hxw>',
        'input size for image frames of a model with symbolic height and width (e.g. 640x640)',
      )
      .option(
        '--method <m>',
        'activation calibration: auto (try max, percentile and entropy, keep the best on the held-out frames), max, percentile or entropy (TensorRT EntropyCalibration2)',
        'auto',
      )
      .option(
        '--min-cosine <c>',
        'fidelity floor: lowest mean cosine of feature, embedding and raw float outputs vs fp32',
        '0.99',
      )
      .option(
        '--min-agreement <a>',
        'fidelity floor: lowest task agreement (classification top-1, segmentation/change pixels, detection F1)',
        '0.9',
      )
      .option('--max-depth-error <e>', 'fidelity floor: highest relative depth error', '0.05')
      .option('--accept-loss', 'write the package even when it is below the fidelity floor (the report says so)')
      .option('--percentile <p>', 'percentile for --method percentile', '99.99')
      .option('--entries <names>', 'comma-separated entries to keep and quantize (default: all)')
      .option('--max-frames <n>', 'most frames (tiles) taken from one source', '32')
      .option('--trt-cache <versions>', 'TensorRT versions to write calibration caches for (comma-separated)', '8.5.2')
      .option('--latency-rounds <n>', 'interleaved fp32-vs-quantized latency rounds (0 skips)', '5')
      .option('--force', 'replace the output directory if it exists');
    addSensorOptions(cmd, 'the real --calibration / --held-out images of its modality');
  },
  async run([source], o, io) {
    if (await isRsMoePackage(source)) return runExpertQuantize(source!, o, io);
    const { openPackage } = await import('../../../sdk/internal.js');
    const { planFrames } = await import('../../quantize/frame-plan.js');
    const { quantizePackage } = await import('../../quantize/quantize-package.js');
    const { CALIBRATION_METHODS } = await import('../../quantize/thresholds.js');
    const precision = expectOneOf('--precision', o.precision, ['int8', 'fp16'] as const);
    const int8Format = await formatChoice(o);
    const method = expectOneOf('--method', o.method, ['auto', ...CALIBRATION_METHODS] as const);
    const floors = {
      cosine: expectNumber('--min-cosine', Number(o.minCosine), 0, 1),
      agreement: expectNumber('--min-agreement', Number(o.minAgreement), 0, 1),
      depthError: expectNumber('--max-depth-error', Number(o.maxDepthError), 0, 1e9),
    };
    const percentile = expectNumber('--percentile', Number(o.percentile), 50, 100);
    const maxFrames = expectInteger('--max-frames', Number(o.maxFrames), 1, 4096);
    const latencyRounds = expectInteger('--latency-rounds', Number(o.latencyRounds), 0, 1000);
    const pkg = await openPackage(source!, { verify: 'size' });
    const names =
      typeof o.entries === 'string'
        ? o.entries
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
    const entries = names ? names.map((n) => pkg.entry(n)) : pkg.manifest.entries;
    const sensor = await readSensorFlags(o);
    const loading = io.progress('preparing frames', 1);
    const inputSize = o.inputSize !== undefined ? parseSize(String(o.inputSize)) : undefined;
    const frames = await planFrames({
      manifest: pkg.manifest,
      entries,
      precision,
      ...(inputSize ? { inputSize } : {}),
      ...(sensor ? { sensorFor: (m: string) => sensorFor(sensor, m) } : {}),
      ...(o.calibration ? { calibration: o.calibration as string[] } : {}),
      ...(o.heldOut ? { heldOut: o.heldOut as string[] } : {}),
      maxFrames,
    });
    loading.stop();
    const progress = io.progress(`quantizing to ${precision}`, 1);
    const r = await quantizePackage({
      source: source!,
      outDir: String(o.out),
      precision,
      method,
      percentile,
      ...(int8Format ? { int8Format } : {}),
      calibration: frames.calibration,
      heldOut: frames.heldOut,
      ...(names ? { entries: names } : {}),
      tensorrtVersions: String(o.trtCache)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      latencyRounds,
      floors,
      acceptLoss: Boolean(o.acceptLoss),
      force: Boolean(o.force),
      onProgress: (step, done, total) => progress.update(done, total, step),
    });
    progress.stop();
    if (!r.report.floor.passed)
      io.note(
        `WARNING: ${precision} package kept below the fidelity floor (--accept-loss): ${r.report.floor.failing.map((c) => `${c.entry} ${c.metric} ${c.value.toFixed(4)} < ${c.floor}`).join('; ')}`,
      );
    const size = (files: Record<string, { size: number; role: string }>) =>
      Object.values(files)
        .filter((f) => f.role === 'weights')
        .reduce((s, f) => s + f.size, 0);
    return {
      dir: r.dir,
      precision,
      ...(r.report.method ? { method: r.report.method } : {}),
      bytes: {
        source: size(
          Object.fromEntries(
            Object.entries(pkg.manifest.files).filter(([k]) =>
              r.manifest.entries.some((e) => e.weightFiles.includes(k)),
            ),
          ),
        ),
        output: size(r.manifest.files),
      },
      report: r.report,
      ...(r.statsSha256 ? { statsSha256: r.statsSha256 } : {}),
    };
  },
  render(r, io) {
    if ('experts' in r) return renderExpertQuantize(r, io);
    const rep = r.report;
    io.out(
      `wrote ${r.precision} package to ${r.dir}${r.method ? ` (activations: ${r.method})` : ''}; weights ${formatBytes(r.bytes.source)} -> ${formatBytes(r.bytes.output)}`,
    );
    if (rep.int8Format)
      io.out(`int8 format: ${rep.int8Format.format}, chosen by ${rep.int8Format.reason}: ${rep.int8Format.summary}`);
    const sel = rep.selection;
    if (sel && sel.candidates.length > 1) {
      io.out(
        `calibration method chosen on the held-out frames: ${sel.winner}${sel.marginOverRunnerUp !== undefined ? `, ahead of ${sel.runnerUp} by ${sel.marginOverRunnerUp.toFixed(4)} at its worst figure` : ''}`,
      );
      io.out(
        table(
          ['method', 'embedding cos', 'worst figure', 'margin'],
          sel.candidates.map((c) => [
            c.method + (c.method === sel.winner ? ' *' : ''),
            c.embeddingCosine === undefined ? '-' : c.embeddingCosine.toFixed(4),
            c.worst ? `${c.worst.entry} ${c.worst.metric} ${c.worst.value.toFixed(4)}` : '-',
            c.worst ? c.worst.margin.toFixed(4) : '-',
          ]),
        ),
      );
    }
    const fl = rep.floor;
    io.out(
      fl.passed
        ? `fidelity floor met (cosine ≥ ${fl.cosine}, agreement ≥ ${fl.agreement}, depth error ≤ ${fl.depthError})`
        : `WARNING: below the fidelity floor, kept because of --accept-loss: ${fl.failing.map((c) => `${c.entry} ${c.metric} ${c.value.toFixed(4)} (floor ${c.floor})`).join('; ')}`,
    );
    if (rep.calibration)
      io.out(
        `calibration: ${rep.calibration.sets.map((s) => `${s.frames} ${s.origin} ${s.modality} frames from ${s.source}`).join('; ')}`,
      );
    io.out(
      `held-out:    ${rep.heldOut.sets.map((s) => `${s.frames} ${s.origin} ${s.modality} frames from ${s.source}`).join('; ')}`,
    );
    const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(4));
    io.out(
      table(
        [
          'entry',
          'frames',
          'embedding cos',
          'min feature cos',
          'min raw output cos',
          'cls top-1',
          'seg pixels',
          'routing',
        ],
        rep.entries.map((e) => {
          const feats = Object.entries(e.featureCosine).filter(([k]) => k.startsWith('features_'));
          const raw = Object.entries(e.featureCosine).filter(([k]) => !k.startsWith('features_') && k !== 'embedding');
          const lowest = (xs: [string, { mean: number }][]) =>
            xs.length ? Math.min(...xs.map(([, s]) => s.mean)) : undefined;
          return [
            e.entry,
            e.frames,
            f(e.featureCosine.embedding?.mean),
            f(lowest(feats)),
            f(lowest(raw)),
            f(e.classificationTop1Agreement),
            f(e.segmentationPixelAgreement),
            f(e.routing?.mean),
          ];
        }),
      ),
    );
    if (rep.latency)
      io.out(
        `CPU latency (onnxruntime, ${rep.latency.entry}, batch ${rep.latency.batch}, median of ${rep.latency.rounds}): fp32 ${rep.latency.referenceMs.toFixed(1)} ms, ${r.precision} ${rep.latency.candidateMs.toFixed(1)} ms (x${rep.latency.ratio.toFixed(2)})`,
      );
    if (rep.optimizedGraph)
      io.out(
        `onnxruntime CPU graph after optimisation (${rep.optimizedGraph.entry}, ${rep.optimizedGraph.nodes} nodes): ${Object.entries(
          rep.optimizedGraph.nodeTypes,
        )
          .slice(0, 8)
          .map(([t, n]) => `${t} x${n}`)
          .join(', ')}${Object.keys(rep.optimizedGraph.nodeTypes).length > 8 ? ', …' : ''}`,
      );
    io.out(
      `report: ${r.dir}/reports/fidelity-${r.precision}.json${r.statsSha256 ? `; statistics sha256 ${r.statsSha256.slice(0, 16)}…` : ''}`,
    );
  },
};

/**
 * The INT8 format of a run: `--int8-format`, else the `--target`'s, else none (quantizePackage's
 * default, TensorRT's Q/DQ).
 * @throws EdgeError E_INVALID_ARGUMENT for an unknown format; the target-loading codes
 */
async function formatChoice(o: Record<string, unknown>): Promise<Int8FormatChoice | undefined> {
  const { formatForTarget } = await import('../../quantize/int8-format.js');
  const target = o.target !== undefined ? await loadTarget(String(o.target)) : undefined;
  const fromTarget = target ? formatForTarget(target) : undefined;
  if (o.int8Format === undefined) return fromTarget;
  const format = expectOneOf('--int8-format', o.int8Format, INT8_FORMATS);
  if (target?.runtime === 'tensorrt' && format !== 'qdq-symmetric')
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--int8-format ${format} is written for onnxruntime's CPU kernels; target ${target.id} runs TensorRT, which reads qdq-symmetric`,
      { field: '--int8-format', hint: 'leave --int8-format out to follow the target, or name a cpu target' },
    );
  return {
    format,
    reason: `option --int8-format${fromTarget && fromTarget.format !== format ? ` (overriding ${fromTarget.reason}: ${fromTarget.format})` : ''}`,
  };
}
