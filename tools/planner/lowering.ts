/**
 * Whether a device can build a package's graphs: the sparse MoE lowering selects each expert's tokens
 * with NonZero, a data-dependent shape TensorRT builds only from 8.5 on (Jetson Nano and TX2 stop at
 * TensorRT 8.2). The plan → prune → compile → bundle chain checks this at every step, so it never
 * yields an artefact the device cannot build: the planner chooses a dense tier there, and prune,
 * compile and bundle refuse a package whose graphs hold NonZero, naming the reason.
 */
import { join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import type { TargetProfile } from '../../sdk/internal.js';
import { readModel } from '../onnx/model-io.js';
import { forEachGraph } from '../onnx/walk.js';
import { sparseLoweringProblem } from './estimate.js';

export { sparseLoweringProblem };

/** Entries of the package whose graphs (subgraphs included) hold a NonZero node. */
export async function entriesWithNonZero(
  dir: string,
  m: PackageManifest,
  entries: readonly string[] = m.entries.map((e) => e.name),
): Promise<string[]> {
  const out: string[] = [];
  for (const e of m.entries) {
    if (!entries.includes(e.name)) continue;
    const { proto } = await readModel(join(dir, e.graph));
    let found = false;
    forEachGraph(proto.graph!, (g) => {
      if (!found && g.node.some((n) => n.opType === 'NonZero')) found = true;
    });
    if (found) out.push(e.name);
  }
  return out;
}

/**
 * Refuses a package the target cannot build.
 * @throws EdgeError E_PLAN_INFEASIBLE naming the target's TensorRT, the entries and what to do instead
 */
export async function assertBuildableOn(
  dir: string,
  m: PackageManifest,
  target: TargetProfile,
  o: { tensorrt?: string | null; entries?: readonly string[]; step: string } = { step: 'this step' },
): Promise<void> {
  const problem = sparseLoweringProblem(target, o.tensorrt);
  if (!problem) return;
  const bad = await entriesWithNonZero(dir, m, o.entries);
  if (bad.length === 0) return;
  throw new EdgeError(
    'E_PLAN_INFEASIBLE',
    `${o.step} refused: ${problem}, and package ${m.name} uses it in ${bad.join(', ')}`,
    {
      file: dir,
      field: '--target',
      hint: `plan for ${target.id} (ringmoe-edge plan <package> --target ${target.id}) — it chooses a dense tier (prune --strategy ka/ks/kc, one modality) there — or make the package with the dense lowering (ringmoe-edge reference <config> --lowering dense)`,
    },
  );
}
