/**
 * `ringmoe-edge run <package> --source [<modality>=]<file|dir|glob>`: runs sensor frames from files through the
 * runtime (optionally publishing results over MQTT), with a progress bar and a closing summary:
 * frames, throughput, latency percentiles per stage, drops, failures, results published.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { EdgeError, isEdgeError } from '../../../sdk/internal.js';
import { expectInteger, expectOneOf } from '../../../sdk/internal.js';
import type { FrameOutcome } from '../../../sdk/internal.js';
import type { RuntimeMetrics } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { addSensorOptions, readSensorFlags, sensorFor, sensorModality } from '../sensor-flags.js';
import { mqttOptions } from '../device-mqtt-flags.js';
import { addBrokerOptions } from '../broker-flags.js';
import { type CommandIO } from '../io.js';
import { table } from '../../format/table.js';
import { recordedFrames } from '../../frames/recorded.js';
import { parseFrameSpec } from '../../frames/spec.js';
import { addVlmOptions, isVlmRun, renderVlm, runVlm, type VlmRunSummary } from './run-vlm.js';

/** At most this many failures are listed. */
const MAX_FAILURES = 50;

/** One frame in the `--json` output. */
export interface RunFrameLine {
  frameId: string;
  ok: boolean;
  entry?: string;
  /** Top class and its score (classification). */
  top?: { label: string; score: number };
  detections?: number;
  /** Raw outputs of an imported model: name → shape. */
  raw?: Record<string, number[]>;
  error?: { code: string; message: string; stage: string };
}

/** What `run` returns (the `--json` output). */
export interface RunSummary {
  package: string;
  model: { name: string; version: string };
  backend: string;
  /** Backends `auto` skipped, with the reason. */
  backendSkipped: string[];
  source: string;
  stoppedBy: 'end' | 'signal';
  frames: { total: number; ok: number; failed: number; dropped: number };
  /** Failed frames tolerated before the run exits non-zero (`--allow-failures`). */
  allowFailures: number;
  seconds: number;
  /** Frames that produced a result, per second (0 when none did). */
  fps: number;
  /** Per stage: p50, p95, p99 and max in milliseconds. */
  latencyMs: Record<string, { p50: number; p95: number; p99: number; max: number }>;
  batches: { count: number; meanInputs: number };
  failures: { frameId: string; stage: string; code: string; message: string }[];
  mqtt?: { broker: string; fleet: string; device: string; published: number; unsent: number; drained: boolean };
  results: RunFrameLine[];
}

/**
 * `--input-size`: `<height>x<width>` or one number for both.
 * @throws EdgeError E_INVALID_ARGUMENT (field `--input-size`)
 */
export function parseInputSize(text: string): { width: number; height: number } {
  const m = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!m)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--input-size must be <height>x<width> or <size> (got ${JSON.stringify(text)})`,
      { field: '--input-size' },
    );
  return {
    height: expectInteger('--input-size', Number(m[1]), 1, 16384),
    width: expectInteger('--input-size', Number(m[2] ?? m[1]), 1, 16384),
  };
}

function line(o: FrameOutcome): RunFrameLine {
  if (!o.ok)
    return { frameId: o.frameId, ok: false, error: { code: o.error.code, message: o.error.message, stage: o.stage } };
  const top = o.tasks.classification?.top[0];
  return {
    frameId: o.frameId,
    ok: true,
    entry: o.entry,
    ...(top ? { top: { label: top.label, score: Number(top.score.toFixed(4)) } } : {}),
    ...(o.tasks.detection ? { detections: o.tasks.detection.detections.length } : {}),
    ...(o.tasks.raw
      ? { raw: Object.fromEntries(Object.entries(o.tasks.raw.outputs).map(([k, v]) => [k, v.shape])) }
      : {}),
  };
}

function latency(m: RuntimeMetrics): RunSummary['latencyMs'] {
  const round = (x: number) => Number(x.toFixed(2));
  return Object.fromEntries(
    Object.entries(m.latencyMs).map(([stage, p]) => [
      stage,
      { p50: round(p.p50), p95: round(p.p95), p99: round(p.p99), max: round(p.max) },
    ]),
  );
}

async function run([pkg]: string[], o: Record<string, unknown>, io: CommandIO): Promise<RunSummary> {
  if (Array.isArray(o.tensors) && o.tensors.length > 0) return runTensors(pkg!, o, io);
  if (typeof o.source !== 'string' || o.source.length === 0) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'this option is required', {
      field: '--source',
      hint: 'e.g. ringmoe-edge run pkg/tiny --source frames/ (or --tensors <input>=<file.npy> for a model that reads raw tensors)',
    });
  }
  const modality = o.modality as string | undefined;
  const sensorFlags = await readSensorFlags(o);
  const backend = expectOneOf('--backend', o.backend ?? 'auto', ['auto', 'onnxruntime', 'tensorrt'] as const);
  const policy = expectOneOf('--policy', o.policy ?? 'block', ['block', 'drop-oldest'] as const);
  const batch = expectInteger('--batch', Number(o.batch ?? 4), 1, 256);
  // Preprocessing flags override the package's declared preprocessing only when given.
  const preprocess = {
    ...(o.fit !== undefined ? { fit: expectOneOf('--fit', o.fit, ['resize', 'resize-crop', 'tile'] as const) } : {}),
    ...(o.stretch !== undefined
      ? { stretch: expectOneOf('--stretch', o.stretch, ['released', 'precise', 'none'] as const) }
      : {}),
    ...(o.interpolation !== undefined
      ? { interpolation: expectOneOf('--interpolation', o.interpolation, ['nearest', 'bilinear', 'bicubic'] as const) }
      : {}),
  };
  const allowFailures = expectInteger('--allow-failures', Number(o.allowFailures ?? 0), 0, Number.MAX_SAFE_INTEGER);
  const inputSize = o.inputSize !== undefined ? parseInputSize(String(o.inputSize)) : undefined;
  if (o.broker === undefined && (o.fleet !== undefined || o.device !== undefined)) {
    throw new EdgeError('E_INVALID_ARGUMENT', '--fleet and --device need --broker', { field: '--broker' });
  }
  if (o.broker !== undefined && o.fleet === undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', '--broker needs --fleet', {
      field: '--fleet',
      hint: 'e.g. --broker mqtt://localhost:1883 --fleet north --device drone-7',
    });
  const source = parseFrameSpec(o.source, '--source');
  if (source.kind === 'generated') {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'run reads recorded frames; generated frames serve calibrate, prune, quantize and compile',
      { field: '--source', hint: 'name a file, a directory or a quoted glob, e.g. --source "flight/**/*.tif"' },
    );
  }
  if (source.modality !== undefined && modality !== undefined && source.modality !== modality) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--source says ${source.modality} frames but --modality says ${modality}`,
      { field: '--modality' },
    );
  }
  const frames = await recordedFrames(source.path, {
    field: 'source',
    ...((source.modality ?? modality) !== undefined ? { modality: (source.modality ?? modality)! } : {}),
    ...(sensorModality(sensorFlags) !== undefined ? { sensorModality: sensorModality(sensorFlags)! } : {}),
    sensorFor: (m) => sensorFor(sensorFlags, m, true),
  });
  const device =
    (o.device as string | undefined) ??
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 64);

  const { createRuntime } = await import('../../../sdk/internal.js');
  const mqtt = await mqttOptions(o, device);
  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime({
      package: pkg!,
      backend,
      batch: { max: batch },
      preprocess,
      ...(inputSize ? { inputSize } : {}),
      ...(mqtt ? { mqtt } : {}),
    });
  } catch (err) {
    if (isEdgeError(err, 'E_INVALID_ARGUMENT') && err.field?.startsWith('options.mqtt.')) {
      const flag =
        { url: '--broker', fleet: '--fleet', device: '--device', stateDir: '--state-dir' }[err.field.slice(13)] ??
        err.field;
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        err.message
          .slice(err.field.length + 2)
          .split(err.field)
          .join(flag),
        { field: flag, cause: err },
      );
    }
    throw err;
  }
  let stoppedBy: RunSummary['stoppedBy'] = 'end';
  const onSignal = (): void => {
    stoppedBy = 'signal';
    io.note('stopping: finishing the frames in flight (Ctrl-C again to abort)');
    void runtime.close();
  };
  process.once('SIGINT', onSignal);
  const progress = io.progress(
    `running ${runtime.model.name}@${runtime.model.version} on ${runtime.backend}`,
    frames.length,
    'frames',
  );
  const results: RunFrameLine[] = [];
  const t0 = performance.now();
  try {
    for await (const outcome of runtime.run(frames, { policy })) {
      results.push(line(outcome));
      progress.update(
        results.length,
        frames.length,
        `${(results.length / ((performance.now() - t0) / 1000)).toFixed(1)} fps`,
      );
    }
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSignal);
  }
  const seconds = (performance.now() - t0) / 1000;
  const m = runtime.metrics();
  const report = await runtime.close();
  const failed = results.filter((r) => !r.ok && r.error?.stage !== 'dropped');
  const okCount = results.filter((r) => r.ok).length;
  return {
    package: pkg!,
    model: { name: m.model.name, version: m.model.version },
    backend: m.backend,
    backendSkipped: m.backendSkipped.map((s) => s.reason),
    source: o.source,
    stoppedBy,
    frames: { total: results.length, ok: okCount, failed: failed.length, dropped: m.frames.dropped },
    allowFailures,
    seconds: Number(seconds.toFixed(3)),
    fps: Number((okCount / seconds).toFixed(2)),
    latencyMs: latency(m),
    batches: { count: m.batches.count, meanInputs: Number(m.batches.meanInputs.toFixed(2)) },
    failures: failed
      .slice(0, MAX_FAILURES)
      .map((r) => ({ frameId: r.frameId, stage: r.error!.stage, code: r.error!.code, message: r.error!.message })),
    ...(mqtt
      ? {
          mqtt: {
            broker: mqtt.url,
            fleet: mqtt.fleet,
            device,
            published: Number(m.mqtt?.resultsPublished ?? 0),
            unsent: report.unsentResults,
            drained: report.drained,
          },
        }
      : {}),
    results,
  };
}

/** `run --tensors`: raw samples through `Runtime.inferTensors`, one call per sample. */
async function runTensors(pkg: string, o: Record<string, unknown>, io: CommandIO): Promise<RunSummary> {
  if (o.source !== undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', '--source and --tensors are alternatives', { field: '--tensors' });
  const backend = expectOneOf('--backend', o.backend ?? 'auto', ['auto', 'onnxruntime', 'tensorrt'] as const);
  const { tensorFeeds } = await import('../../quantize/tensor-feeds.js');
  const { entry, feeds } = await tensorFeeds(pkg, o.tensors as string[], o.entry as string | undefined);
  const device =
    (o.device as string | undefined) ??
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 64);
  if (o.broker !== undefined && o.fleet === undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', '--broker needs --fleet', { field: '--fleet' });
  const mqtt = await mqttOptions(o, device);
  const { createRuntime } = await import('../../../sdk/internal.js');
  const runtime = await createRuntime({ package: pkg, backend, workers: 0, ...(mqtt ? { mqtt } : {}) });
  const progress = io.progress(
    `running ${runtime.model.name}@${runtime.model.version} on ${runtime.backend}`,
    feeds.length,
    'samples',
  );
  const results: RunFrameLine[] = [];
  const t0 = performance.now();
  try {
    for (const f of feeds) {
      try {
        results.push(line(await runtime.inferTensors(f.id, f.feeds, { entry })));
      } catch (err) {
        const e = isEdgeError(err) ? err : new EdgeError('E_INFERENCE', String(err));
        results.push({ frameId: f.id, ok: false, error: { code: e.code, message: e.message, stage: 'inference' } });
      }
      progress.update(results.length, feeds.length);
    }
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const m = runtime.metrics();
  const report = await runtime.close();
  const failed = results.filter((r) => !r.ok);
  return {
    package: pkg,
    model: { name: m.model.name, version: m.model.version },
    backend: m.backend,
    backendSkipped: m.backendSkipped.map((s) => s.reason),
    source: (o.tensors as string[]).join(' '),
    stoppedBy: 'end',
    frames: { total: results.length, ok: results.length - failed.length, failed: failed.length, dropped: 0 },
    allowFailures: expectInteger('--allow-failures', Number(o.allowFailures ?? 0), 0, Number.MAX_SAFE_INTEGER),
    seconds: Number(seconds.toFixed(3)),
    fps: Number((results.length / seconds).toFixed(2)),
    latencyMs: latency(m),
    batches: { count: m.batches.count, meanInputs: Number(m.batches.meanInputs.toFixed(2)) },
    failures: failed
      .slice(0, MAX_FAILURES)
      .map((r) => ({ frameId: r.frameId, stage: r.error!.stage, code: r.error!.code, message: r.error!.message })),
    ...(mqtt
      ? {
          mqtt: {
            broker: mqtt.url,
            fleet: mqtt.fleet,
            device,
            published: Number(m.mqtt?.resultsPublished ?? 0),
            unsent: report.unsentResults,
            drained: report.drained,
          },
        }
      : {}),
    results,
  };
}

function render(r: RunSummary, io: CommandIO): void {
  const skipped = r.backendSkipped.length ? ` (${r.backendSkipped.join('; ')})` : '';
  io.out(
    `${r.frames.total} frame(s) of ${r.source} through ${r.model.name}@${r.model.version} on ${r.backend}${skipped}`,
  );
  const rate = r.frames.ok > 0 ? `${r.fps.toFixed(2)} frames/s` : 'no frame produced a result';
  io.out(
    `${r.seconds.toFixed(2)} s, ${rate}; ${r.frames.ok} ok, ${r.frames.failed} failed, ${r.frames.dropped} dropped; ${r.batches.count} engine call(s), ${r.batches.meanInputs} input(s) each${r.stoppedBy === 'signal' ? '; stopped by Ctrl-C' : ''}`,
  );
  if (r.frames.ok > 0) io.out('');
  if (r.frames.ok > 0)
    io.out(
      table(
        ['stage (ms)', 'p50', 'p95', 'p99', 'max'],
        Object.entries(r.latencyMs).map(([stage, p]) => [
          stage,
          p.p50.toFixed(1),
          p.p95.toFixed(1),
          p.p99.toFixed(1),
          p.max.toFixed(1),
        ]),
      ),
    );
  if (r.mqtt) {
    io.out('');
    io.out(
      `MQTT ${r.mqtt.broker} fleet ${r.mqtt.fleet} device ${r.mqtt.device}: ${r.mqtt.published} result message(s) published, ${r.mqtt.drained ? 'all delivered' : `${r.mqtt.unsent} not yet delivered`}`,
    );
    if (!r.mqtt.drained)
      io.note(
        'undelivered results are kept only with --state-dir (they go out on the next run); without it they are lost',
      );
  }
  if (r.failures.length) {
    io.out('');
    io.out('failures:');
    for (const f of r.failures)
      io.out(
        `  ${f.frameId}  ${f.stage}  ${f.code}: ${f.message.length > 160 ? `${f.message.slice(0, 157)}...` : f.message}`,
      );
    if (r.frames.failed > r.failures.length) io.out(`... and ${r.frames.failed - r.failures.length} more (see --json)`);
  }
}

/** The `run` command for the CLI router. */
export const spec: CommandSpec<RunSummary | VlmRunSummary> = {
  name: 'run',
  summary: 'run frames from files through a model package (optionally publishing over MQTT) and summarise',
  configure(cmd: Command) {
    cmd
      .argument('<package>', 'model package directory')
      .option(
        '--source <spec>',
        '[<modality>=]<file|dir|glob>: a frame file, a directory of frames, or a quoted glob such as "flight/**/*.tif" (required unless --tensors)',
      )
      .option(
        '--tensors <spec>',
        'raw input tensors instead of frames, for a model whose inputs are not images: [<input>=]<file.npy|file.npz[:<array>]>, first axis = samples (repeatable)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--entry <name>', 'the entry --tensors feeds (default: the only one)')
      .option(
        '--modality <id>',
        'modality of the frames (optical, multispectral, sar-l2, sar-l1); JPEG/PNG/WebP default to optical; --sensor sets it too',
      )
      .option('--broker <url>', 'publish results to this MQTT broker (needs --fleet)')
      .option(
        '--device-key <file>',
        "the device's own Ed25519 private key (ringmoe-edge keygen --device): results, births, deaths and states are signed with it",
      )
      .option('--fleet <name>', 'fleet the device belongs to')
      .option('--device <name>', 'device name in topics (default: the host name)')
      .option('--state-dir <dir>', 'durable MQTT outbox: results not yet delivered survive a restart')
      .option('--backend <name>', 'auto, onnxruntime or tensorrt', 'auto')
      .option('--policy <policy>', 'block (every frame) or drop-oldest (live: drop when behind)', 'block')
      .option('--batch <n>', 'most model inputs per engine call', '4')
      .option(
        '--allow-failures <n>',
        'failed frames tolerated before the run exits with status 1 (a run where no frame succeeds always does)',
        '0',
      )
      .option(
        '--fit <mode>',
        "resize, resize-crop or tile (native resolution tiles); default: the package's declared preprocessing, else resize",
      )
      .option(
        '--stretch <method>',
        "multispectral/SAR-L2 stretch: released, precise or none; default: the package's, else released",
      )
      .option('--interpolation <kernel>', "nearest, bilinear or bicubic; default: the package's, else bilinear")
      .option(
        '--input-size <hxw>',
        'model input size for a package with symbolic height and width (an imported dynamic model), e.g. 640x640',
      );
    addSensorOptions(cmd);
    addVlmOptions(cmd);
    addBrokerOptions(cmd);
  },
  examples: [
    'ringmoe-edge run pkg/tiny --source examples/data/aerial/aero1.jpg',
    'ringmoe-edge run pkg/tiny --source "examples/data/**/*.tif" --sensor landsat7-etm --fit tile --json',
    'ringmoe-edge run pkg/tiny --source LC08_stack.tif --sensor landsat8-oli-tirs --fit tile',
    'ringmoe-edge run pkg/tiny --source scene.tif --modality multispectral --bands 2,3,4,5 --scale 0.0000275 --offset -0.2',
    'ringmoe-edge run pkg/vendor-audio --tensors input=clips.npy --broker mqtt://localhost:1883 --fleet north --json',
    'ringmoe-edge run pkg/text-detector --source examples/data/aerial/aero1.jpg --input-size 480x640 --json',
    'ringmoe-edge run pkg/tiny --source frames/ --broker mqtt://localhost:1883 --fleet north --device drone-7 --state-dir /var/lib/ringmoe',
    'ringmoe-edge run pkg/rsmoe --source harbour.jpg --task vqa --question "how many ships are in the harbour?" --broker mqtt://localhost:1883 --fleet north',
  ],
  run: async (args, o, io) => ((await isVlmRun(args[0], o)) ? runVlm(args[0]!, o, io) : run(args, o, io)),
  render: (r, io) => ('vlm' in r ? renderVlm(r, io) : render(r, io)),
  exitStatus: (r) => ('vlm' in r ? undefined : runExitStatus(r)),
};

/**
 * Exit status 1 when more frames failed than `--allow-failures` tolerates, or when frames were given
 * and none produced a result (dropped frames of a live policy are not failures).
 */
export function runExitStatus(r: RunSummary): { code: number; reason: string } | undefined {
  const { total, ok, failed, dropped } = r.frames;
  if (total > dropped && ok === 0)
    return { code: 1, reason: `every frame failed (${failed} of ${total}); see the failures above` };
  if (failed > r.allowFailures)
    return {
      code: 1,
      reason: `${failed} of ${total} frame(s) failed, more than --allow-failures ${r.allowFailures} tolerates`,
    };
  return undefined;
}
