/**
 * `ringmoe-edge run <rsmoe-package> --source <frames> --task caption|vqa [--question …]`: the
 * RS-MoE branch of `run`. Every frame is captioned or asked the question; the fused text, each
 * expert's prompt and output are printed (or returned with --json) and, with --broker, published
 * as result messages through the MQTT publisher and its outbox.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EdgeError } from '../../../sdk/internal.js';
import { PACKAGE_MANIFEST_FILE } from '../../../sdk/internal.js';
import { expectInteger, expectNumber, expectOneOf } from '../../../sdk/internal.js';
import type { Frame } from '../../../sdk/internal.js';
import type { GenerationOptions, TokenEvent } from '../../../sdk/internal.js';
import type { VlmResult } from '../../../sdk/internal.js';
import type { CommandIO } from '../io.js';
import { mqttOptions } from '../device-mqtt-flags.js';

/** What `run` returns for an RS-MoE package (the `--json` output). */
export interface VlmRunSummary {
  vlm: true;
  task: 'caption' | 'vqa';
  model: { name: string; packageHash: string; experts: string[]; seededWeights: boolean };
  backend: string;
  seconds: number;
  kvBytesPerToken: number;
  results: VlmResult[];
  mqtt?: { broker: string; fleet: string; device: string; published: number; unsent: number; drained: boolean };
  note?: string;
}

/** Registers the RS-MoE options of `run`. */
export function addVlmOptions(cmd: Command): void {
  cmd
    .option('--task <task>', 'RS-MoE packages: caption or vqa (default caption)')
    .option('--question <text>', 'RS-MoE --task vqa: the question, e.g. "how many ships are in the harbour?"')
    .option('--instruction <text>', 'RS-MoE --task caption: the instruction (default "describe this scene .")')
    .option('--decode <strategy>', 'RS-MoE: greedy, beam or top-p (default greedy)')
    .option('--max-tokens <n>', 'RS-MoE: most new tokens per expert (default 16)')
    .option('--beams <n>', 'RS-MoE --decode beam: beam width (default 3)')
    .option('--top-p <p>', 'RS-MoE --decode top-p: nucleus mass (default 0.9)')
    .option('--seed <n>', 'RS-MoE --decode top-p: sampling seed (default 0)')
    .option('--stop <text>', 'RS-MoE: stop sequence (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--stream', 'RS-MoE: print every token to stderr as it is generated');
}

/** True when the run is an RS-MoE run: --task given, or the package is of kind rsmoe. */
export async function isVlmRun(pkg: string | undefined, o: Record<string, unknown>): Promise<boolean> {
  if (o.task !== undefined) return true;
  if (!pkg) return false;
  try {
    return (
      (JSON.parse(await readFile(join(pkg, PACKAGE_MANIFEST_FILE), 'utf8')) as { kind?: unknown }).kind === 'rsmoe'
    );
  } catch {
    return false; // the regular path reports what is wrong with the package
  }
}

export async function runVlm(pkg: string, o: Record<string, unknown>, io: CommandIO): Promise<VlmRunSummary> {
  if (typeof o.source !== 'string' || o.source.length === 0)
    throw new EdgeError('E_INVALID_ARGUMENT', 'this option is required', {
      field: '--source',
      hint: 'e.g. ringmoe-edge run pkg/rsmoe --source frame.jpg --task caption',
    });
  const task = expectOneOf('--task', o.task ?? 'caption', ['caption', 'vqa'] as const);
  if (task === 'vqa' && o.question === undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', '--task vqa needs --question', {
      field: '--question',
      hint: 'e.g. --question "how many ships are in the harbour?"',
    });
  if (task === 'caption' && o.question !== undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', '--question goes with --task vqa', { field: '--question' });
  if (o.modality !== undefined && o.modality !== 'optical')
    throw new EdgeError('E_INVALID_ARGUMENT', `RS-MoE packages read optical (RGB) frames, not ${String(o.modality)}`, {
      field: '--modality',
    });
  const batch = expectInteger('--batch', Number(o.batch ?? 4), 1, 64);
  for (const k of ['sensor', 'fit', 'stretch', 'interpolation'] as const)
    if (o[k] !== undefined)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `--${k} does not apply to RS-MoE packages (RGB frames, resized to the model input)`,
        { field: `--${k}` },
      );
  const backendName = expectOneOf('--backend', o.backend ?? 'auto', ['auto', 'onnxruntime'] as const);
  const generation: GenerationOptions = {
    ...(o.decode !== undefined
      ? { strategy: expectOneOf('--decode', o.decode, ['greedy', 'beam', 'top-p'] as const) }
      : {}),
    ...(o.maxTokens !== undefined ? { maxTokens: expectInteger('--max-tokens', Number(o.maxTokens), 1, 512) } : {}),
    ...(o.beams !== undefined ? { beams: expectInteger('--beams', Number(o.beams), 2, 8) } : {}),
    ...(o.topP !== undefined ? { topP: expectNumber('--top-p', Number(o.topP), 0.01, 1) } : {}),
    ...(o.seed !== undefined ? { seed: expectInteger('--seed', Number(o.seed), 0, 2 ** 31 - 1) } : {}),
    ...(o.stop !== undefined ? { stop: o.stop as string[] } : {}),
  };
  if (o.broker === undefined && (o.fleet !== undefined || o.device !== undefined))
    throw new EdgeError('E_INVALID_ARGUMENT', '--fleet and --device need --broker', { field: '--broker' });
  if (o.broker !== undefined && o.fleet === undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', '--broker needs --fleet', { field: '--fleet' });
  const { recordedFrames } = await import('../../frames/recorded.js');
  const { parseFrameSpec } = await import('../../frames/spec.js');
  const source = parseFrameSpec(o.source, '--source');
  if (source.kind === 'generated' || (source.modality !== undefined && source.modality !== 'optical')) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'an RS-MoE package reads recorded optical frames', {
      field: '--source',
      hint: 'name a file, a directory or a quoted glob of RGB images',
    });
  }
  const frames: Frame[] = await recordedFrames(source.path, { field: 'source', modality: 'optical' });
  const device =
    (o.device as string | undefined) ??
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 64);
  const mqtt = await mqttOptions(o, device);
  const { createVlmRuntime, SEEDED_WEIGHTS_NOTE } = await import('../../../sdk/internal.js');
  const { ResultPublisher } = await import('../../../sdk/internal.js');
  const publisher = mqtt ? await ResultPublisher.create(mqtt) : undefined;
  // 'auto': every session on its own worker thread, so the experts decode in parallel.
  const backend =
    backendName === 'onnxruntime' ? new (await import('../../../sdk/internal.js')).OrtBackend() : undefined;
  const rt = await createVlmRuntime({
    package: pkg,
    ...(backend ? { backend } : {}),
    ...(publisher ? { publisher } : {}),
    generation,
  });
  if (rt.manifest.seededWeights) io.note(`note: ${SEEDED_WEIGHTS_NOTE}`);
  const progress = io.progress(`${task} with ${rt.name} (${rt.experts.join(', ')})`, frames.length, 'frames');
  const results: VlmResult[] = [];
  const t0 = performance.now();
  try {
    // --batch frames per call: one vision call and one batched generation per expert.
    for (let i = 0; i < frames.length; i += batch) {
      const chunk = frames.slice(i, i + batch);
      const stream = o.stream
        ? {
            generation: {
              ...generation,
              onToken: (e: TokenEvent) => io.note(`[${chunk[e.row]!.id} ${e.expert}] ${e.text}`),
            },
          }
        : {};
      results.push(
        ...(await rt.run(
          chunk.map((frame) =>
            task === 'caption'
              ? { frame, task, ...(o.instruction !== undefined ? { instruction: String(o.instruction) } : {}) }
              : { frame, task, question: String(o.question) },
          ),
          stream,
        )),
      );
      progress.update(results.length, frames.length, chunk[chunk.length - 1]!.id);
    }
  } finally {
    progress.stop();
    await rt.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  let mqttSummary: VlmRunSummary['mqtt'];
  if (publisher && mqtt) {
    const report = await publisher.close({ deadlineMs: 5000 });
    mqttSummary = {
      broker: mqtt.url,
      fleet: mqtt.fleet,
      device,
      published: results.length,
      unsent: report.pending,
      drained: report.drained,
    };
  }
  return {
    vlm: true,
    task,
    model: {
      name: rt.name,
      packageHash: rt.packageHash,
      experts: [...rt.experts],
      seededWeights: rt.manifest.seededWeights,
    },
    backend: backend ? 'onnxruntime (main thread)' : 'onnxruntime (a worker thread per session)',
    seconds,
    kvBytesPerToken: rt.kvBytesPerToken,
    results,
    ...(mqttSummary ? { mqtt: mqttSummary } : {}),
    ...(rt.manifest.seededWeights ? { note: SEEDED_WEIGHTS_NOTE } : {}),
  };
}

export function renderVlm(r: VlmRunSummary, io: CommandIO): void {
  io.out(
    `${r.results.length} frame(s), task ${r.task}, ${r.model.name} (experts ${r.model.experts.join(', ')}) on ${r.backend}, ${r.seconds.toFixed(2)} s; KV cache ${r.kvBytesPerToken} bytes per generated token`,
  );
  for (const x of r.results) {
    io.out('');
    io.out(`${x.frameId}${x.question ? `  Q: ${x.question}` : ''}`);
    io.out(`  ${x.task === 'vqa' ? 'A' : 'caption'}: ${x.text || '(empty)'}`);
    for (const e of x.experts) {
      io.out(`  [${e.id}] prompt: ${e.prompt}`);
      io.out(`  [${e.id}] output: ${e.text || '(empty)'}  (${e.tokens.length} tokens, ${e.finishReason})`);
    }
  }
  if (r.mqtt) {
    io.out('');
    io.out(
      `MQTT ${r.mqtt.broker} fleet ${r.mqtt.fleet} device ${r.mqtt.device}: ${r.mqtt.published} result message(s) published, ${r.mqtt.drained ? 'all delivered' : `${r.mqtt.unsent} not yet delivered`}`,
    );
  }
  if (r.note) io.out(`\nnote: ${r.note}`);
}
