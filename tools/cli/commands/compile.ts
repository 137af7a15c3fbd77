/**
 * `ringmoe-edge compile <package> --target <id>`: quantize per the target, record the target, and
 * build TensorRT engines here when possible, else write a build spec and print trtexec lines.
 */
import { expectInteger, expectNumber, expectOneOf } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { addSensorOptions, readSensorFlags, sensorFor } from '../sensor-flags.js';

type Result = import('../../compile/compile-package.js').CompileResult;
const list = (v: string, prev: string[] = []) => [...prev, v];

export const spec: CommandSpec<Result> = {
  name: 'compile',
  optionFlags: {
    'floors.cosine': '--min-cosine',
    'floors.agreement': '--min-agreement',
    'floors.depthError': '--max-depth-error',
  },
  summary: 'compile a package for a device target: quantize, record the target, build engines or a build spec',
  examples: [
    'ringmoe-edge compile pkg/small -o pkg/small-orin --target jetson-orin-nx-16gb --precision best --calibration optical=frames/',
    'ringmoe-edge compile pkg/small -o pkg/small-xavier --target jetson-xavier-nx-8gb --precision int8 --dla 0 --jetpack 5.1.4',
  ],
  configure(cmd) {
    cmd
      .argument('<package>', 'fp32 source package directory')
      .requiredOption('-o, --out <dir>', 'output package directory')
      .requiredOption('--target <id>', 'device target id or profile file (see ringmoe-edge targets)')
      .option('--precision <p>', "fp32, fp16, int8 or best (the target's best supported)", 'best')
      .option('--dla <n>', 'DLA core to build for (GPU fallback on)')
      .option('--jetpack <version>', 'software line to build for (default: the newest with TensorRT)')
      .option(
        '--calibration <frames>',
        'INT8 calibration frames: [<modality>=]<file|dir|glob> or generated[:<modality>][:<count>[:<seed>]] (as for quantize; repeatable)',
        list,
      )
      .option('--held-out <frames>', 'held-out frames for the fidelity report, same forms (repeatable)', list)
      .option(
        '--method <m>',
        'activation calibration: auto (the best on the held-out frames), max, percentile or entropy',
        'auto',
      )
      .option('--min-cosine <c>', 'fidelity floor of the quantization: lowest output cosine vs fp32', '0.99')
      .option('--min-agreement <a>', 'fidelity floor of the quantization: lowest task agreement', '0.9')
      .option('--accept-loss', 'keep a quantization below the fidelity floor (the report says so)')
      .option('--entries <names>', 'comma-separated entries to keep (default: all)')
      .option('--max-batch <n>', "largest batch of the engines' optimisation profile", '1')
      .option('--max-frames <n>', 'most frames (tiles) taken from one source', '32')
      .option('--force', 'replace the output directory if it exists');
    addSensorOptions(cmd, 'the real --calibration / --held-out images of its modality');
  },
  async run([source], o, io) {
    const { compilePackage } = await import('../../compile/compile-package.js');
    const { CALIBRATION_METHODS } = await import('../../quantize/thresholds.js');
    const precision = expectOneOf('--precision', o.precision, ['fp32', 'fp16', 'int8', 'best'] as const);
    const method = expectOneOf('--method', o.method, ['auto', ...CALIBRATION_METHODS] as const);
    const floors = {
      cosine: expectNumber('--min-cosine', Number(o.minCosine), 0, 1),
      agreement: expectNumber('--min-agreement', Number(o.minAgreement), 0, 1),
    };
    const sensor = await readSensorFlags(o);
    const progress = io.progress(`compiling for ${String(o.target)}`, 1);
    const r = await compilePackage({
      source: source!,
      outDir: String(o.out),
      target: String(o.target),
      precision,
      method,
      floors,
      acceptLoss: Boolean(o.acceptLoss),
      ...(o.dla !== undefined ? { dla: expectInteger('--dla', Number(o.dla), 0, 7) } : {}),
      ...(o.jetpack !== undefined ? { jetpack: String(o.jetpack) } : {}),
      ...(o.calibration ? { calibration: o.calibration as string[] } : {}),
      ...(o.heldOut ? { heldOut: o.heldOut as string[] } : {}),
      ...(sensor ? { sensorFor: (m: string) => sensorFor(sensor, m) } : {}),
      ...(typeof o.entries === 'string'
        ? {
            entries: o.entries
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : {}),
      maxBatch: expectInteger('--max-batch', Number(o.maxBatch), 1, 1024),
      maxFrames: expectInteger('--max-frames', Number(o.maxFrames), 1, 4096),
      force: Boolean(o.force),
      onProgress: (step, done, total) => progress.update(done, total, step),
    });
    progress.stop();
    return r;
  },
  render(r, io) {
    const t = r.plan.target;
    io.out(
      `wrote ${r.dir} for ${t.id} (${t.name}): ${r.plan.precision}${t.tensorrt ? `, TensorRT ${t.tensorrt} (JetPack ${t.jetpack ?? '?'})` : ''}${t.dlaCore !== null ? `, DLA core ${t.dlaCore}` : ''}`,
    );
    if (r.report) {
      const cos = Math.min(
        ...r.report.entries.flatMap((e) =>
          Object.entries(e.featureCosine)
            .filter(([k]) => k.startsWith('features_'))
            .map(([, s]) => s.mean),
        ),
      );
      io.out(
        `fidelity vs fp32 on ${r.report.heldOut.sets.reduce((n, s) => n + s.frames, 0)} held-out frames: lowest trunk feature cosine ${cos.toFixed(4)} (reports/fidelity-${r.plan.precision}.json)`,
      );
    }
    for (const b of r.built) io.out(`built ${b.path} (${b.entry})`);
    if (r.notBuilt) io.out(`engines not built here: ${r.notBuilt}`);
    if (r.buildSpec) io.out(`build spec: ${r.dir}/${r.buildSpec} (the device builds its engines on first start)`);
    for (const c of r.trtexec) {
      if (c.line) io.out(`  ${c.entry}: ${c.line}`);
      for (const n of c.notes) io.out(`    note: ${n}`);
    }
  },
};
