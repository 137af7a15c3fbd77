/**
 * `calibrate`: runs frames through a package's modality entries with onnxruntime and counts, per
 * block and per router, how many tokens each expert was chosen for. The routers' choice tensors
 * (`routerOutputs` of each MoE cluster) are made graph outputs in a temporary copy of the entry
 * graph. onnxruntime resolves external data relative to the model file and refuses paths that
 * leave its directory (symbolic links included), so the copy is written inside the package
 * directory under a dot-name and always removed; copies left by a killed run are removed by the
 * next one. The result is saved as routing-stats.json beside the package files (not listed in the
 * manifest: statistics describe a package, they are not part of it).
 */
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { ModalityId } from '../../sdk/internal.js';
import type { EntryManifest } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { openPackage, type OpenPackageOptions } from '../../sdk/internal.js';
import { OrtBackend } from '../../sdk/internal.js';
import { valueInfo } from '../onnx/builder.js';
import { readModel } from '../onnx/model-io.js';
import { ModelProtoSchema, toBinary } from '../onnx/proto.js';
import { ROUTING_STATS_FILE } from '../package/inspect.js';
import {
  ROUTING_STATS_FORMAT,
  ROUTING_STATS_VERSION,
  readRoutingStats,
  type BlockCounts,
  type ModalityStats,
  type RoutingStats,
} from './routing-stats.js';
import type { Frame } from '../frames/frame.js';
import { processAlive } from '../../sdk/internal.js';

/** What to calibrate and with which frames. */
export interface CalibrateOptions {
  dir: string;
  frames: Frame[];
  /** Modalities to calibrate (each through its modality entry). Default: every modality with an entry. */
  modalities?: ModalityId[];
  /** Model inputs per onnxruntime run. Default 4. */
  batch?: number;
  verify?: OpenPackageOptions['verify'];
  onProgress?: (done: number, total: number, label: string) => void;
}

/** The statistics written and where. */
export interface CalibrateResult {
  file: string;
  stats: RoutingStats;
  /** True when an older statistics file of another package was replaced. */
  replacedForeign: boolean;
}

const TEMP_PREFIX = '.calibrate-';

/** Removes temporary graphs of calibrate runs that were killed before they could clean up. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(/^\.calibrate-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) await rm(join(dir, name), { force: true });
  }
}

function modalityEntry(entries: EntryManifest[], m: ModalityId): EntryManifest {
  const e = entries.find(
    (x) => x.kind === 'modality' && x.modalities.length === 1 && x.modalities[0] === m && x.moe?.length,
  );
  if (!e)
    throw new EdgeError('E_CALIBRATION', `the package has no single-modality entry for ${m} to calibrate with`, {
      field: 'modalities',
    });
  return e;
}

/**
 * Calibrates the package in `o.dir` and writes routing-stats.json there (merged with statistics
 * of other modalities already there for the same package).
 * @throws EdgeError E_UNKNOWN_MODALITY, E_CALIBRATION (no frames, no entry), E_FRAME_INVALID, E_BACKEND_INIT, E_INFERENCE
 */
export async function calibratePackage(o: CalibrateOptions): Promise<CalibrateResult> {
  const pkg = await openPackage(o.dir, { verify: o.verify ?? 'size' });
  const m = pkg.manifest;
  if (m.kind !== 'ringmoe' || !m.experts)
    throw new EdgeError('E_CALIBRATION', `package ${m.name} has no experts to calibrate`, { file: o.dir });
  if (o.frames.length === 0) throw new EdgeError('E_CALIBRATION', 'no frames to calibrate with', { field: 'frames' });
  const known = m.modalities.map((x) => x.id);
  for (const x of o.modalities ?? []) {
    if (!known.includes(x))
      throw new EdgeError(
        'E_UNKNOWN_MODALITY',
        `unknown modality ${JSON.stringify(x)}; package ${m.name} has ${known.join(', ')}`,
        { field: 'modalities' },
      );
  }
  const modalities =
    o.modalities ?? known.filter((x) => m.entries.some((e) => e.kind === 'modality' && e.modalities[0] === x));
  const size = m.model.inputSize;
  if (!size) throw new EdgeError('E_CALIBRATION', `package ${m.name} records no input size`, { file: o.dir });
  const batch = o.batch ?? 4;
  await removeStaleTemps(pkg.dir);

  const calibrated: Record<string, ModalityStats> = {};
  const backend = new OrtBackend();
  for (const modality of modalities) {
    const spec = m.modalities.find((x) => x.id === modality)!;
    const entry = modalityEntry(m.entries, modality);
    const model = await readModel(pkg.path(entry.graph));
    const graph = model.proto.graph!;
    const choice = new Map<string, { block: string; router: string }>();
    for (const c of entry.moe!)
      for (const [router, tensor] of Object.entries(c.routerOutputs)) choice.set(tensor, { block: c.block, router });
    for (const tensor of choice.keys()) graph.output.push(valueInfo(tensor, 'int64', ['T']));
    const temp = pkg.path(`${TEMP_PREFIX}${process.pid}-${entry.name}.onnx`);
    const blocks: Record<string, BlockCounts> = {};
    for (const b of m.experts.blocks) {
      blocks[b.id] = {
        tokens: 0,
        routers: Object.fromEntries(
          b.routers.map((r) => [r.id, { experts: [...r.experts], counts: r.experts.map(() => 0) }]),
        ),
      };
    }
    const tokensOf = new Map(entry.moe!.map((c) => [c.block, 0]));
    let inputs = 0;
    try {
      await writeFile(temp, toBinary(ModelProtoSchema, model.proto));
      const session = await backend.load({ graphPath: temp });
      try {
        const inputName = entry.inputs[0]!.name;
        const per = spec.channels * size.height * size.width;
        let pending: Float32Array[] = [];
        const flush = async () => {
          if (pending.length === 0) return;
          const data = new Float32Array(pending.length * per);
          pending.forEach((x, k) => data.set(x, k * per));
          const out = await session.run(
            {
              [inputName]: { dtype: 'float32', shape: [pending.length, spec.channels, size.height, size.width], data },
            },
            [...choice.keys()],
          );
          for (const [tensor, where] of choice) {
            const idx = out[tensor]!.data as BigInt64Array;
            const rc = blocks[where.block]!.routers[where.router]!;
            for (let t = 0; t < idx.length; t++) rc.counts[Number(idx[t])]! += 1;
            tokensOf.set(where.block, idx.length);
          }
          for (const [b, n] of tokensOf) blocks[b]!.tokens += n;
          inputs += pending.length;
          pending = [];
        };
        for (const [i, f] of o.frames.entries()) {
          for (const x of await f.inputs(spec, size)) {
            pending.push(x);
            if (pending.length === batch) await flush();
          }
          o.onProgress?.(i + 1, o.frames.length, modality);
        }
        await flush();
      } finally {
        await session.dispose();
      }
    } finally {
      await rm(temp, { force: true });
    }
    calibrated[modality] = {
      entry: entry.name,
      frames: o.frames.map((f) => ({ id: f.id, source: f.source, ...(f.note ? { note: f.note } : {}) })),
      inputs,
      blocks,
    };
  }

  const file = join(pkg.dir, ROUTING_STATS_FILE);
  const previous = await readRoutingStats(file).catch(() => undefined);
  const same = previous?.stats.package.sha256 === pkg.packageHash;
  const stats: RoutingStats = {
    format: ROUTING_STATS_FORMAT,
    formatVersion: ROUTING_STATS_VERSION,
    package: { name: m.name, sha256: pkg.packageHash },
    tool: `ringmoe-edge ${VERSION}`,
    modalities: { ...(same ? previous!.stats.modalities : {}), ...calibrated },
  };
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(stats, null, 2)}\n`);
  await rename(tmp, file);
  return { file, stats, replacedForeign: previous !== undefined && !same };
}
