/**
 * The shipped device profiles in targets/: all valid, the facts the toolchain relies on are
 * what the shared Jetson notes say, and what two profiles say about the same JetPack release agrees.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  dlaUsable,
  listTargets,
  loadTarget,
  SOURCED_CONFIDENCE,
  type TargetProfile,
} from '../../../../sdk/core/targets/index.js';
import { REPO_ROOT } from '../../../helpers/shared-data.js';

const TARGETS = join(REPO_ROOT, 'targets');
const profiles = listTargets({ dir: TARGETS });
const byId = async (id: string): Promise<TargetProfile> => loadTarget(id, { dir: TARGETS });

test('every shipped profile validates and the listing holds all 15 device targets', async (t) => {
  const files = readdirSync(TARGETS).filter((f) => f.endsWith('.json') && f !== 'schema.json');
  const list = await profiles;
  t.is(list.length, files.length);
  t.deepEqual(
    list.map((p) => p.id),
    [
      'cpu-x86-64-onnxruntime',
      'jetson-agx-orin-32gb',
      'jetson-agx-orin-64gb',
      'jetson-agx-thor-t5000',
      'jetson-agx-xavier-32gb',
      'jetson-agx-xavier-64gb',
      'jetson-nano-4gb',
      'jetson-orin-nano-4gb',
      'jetson-orin-nano-8gb',
      'jetson-orin-nx-16gb',
      'jetson-orin-nx-8gb',
      'jetson-tx2-8gb',
      'jetson-xavier-nx-16gb',
      'jetson-xavier-nx-8gb',
      'x86-rtx4000-ada-ground-station',
    ],
  );
  for (const p of list) t.is(basename(p.file), `${p.id}.json`, 'file name is <id>.json');
});

test('Orin Nano has no DLA; AGX Orin 64GB is sm_87 with 2 DLA cores; Thor has no DLA', async (t) => {
  for (const id of ['jetson-orin-nano-4gb', 'jetson-orin-nano-8gb']) {
    const nano = await byId(id);
    t.is(nano.dla.count.value, 0, id);
    t.deepEqual(nano.dla.precisions.value, []);
    t.is(nano.dla.count.confidence, 'confirmed');
  }
  const agx = await byId('jetson-agx-orin-64gb');
  t.is(agx.gpu?.sm, 'sm_87');
  t.is(agx.gpu?.computeCapability.value, '8.7');
  t.is(agx.dla.count.value, 2);
  t.is(agx.dla.generation?.value, 'v2');
  t.deepEqual(agx.dla.precisions.value, ['fp16', 'int8']);
  const thor = await byId('jetson-agx-thor-t5000');
  t.is(thor.dla.count.value, 0);
  t.is(thor.gpu?.sm, 'sm_110');
  t.deepEqual(thor.gpu?.otherComputeCapabilities?.value, ['10.1']);
});

test('JetPack 6.1 ships TensorRT 10.3 on every Orin profile (marked as seen through a copy)', async (t) => {
  const orins = (await profiles).filter((p) => p.gpu?.sm === 'sm_87');
  t.is(orins.length, 6);
  for (const p of orins) {
    const jp61 = p.software.find((l) => l.jetpack === '6.1');
    t.is(jp61?.tensorrt?.value, '10.3', p.id);
    t.is(jp61?.tensorrt?.confidence, 'nvidia-secondary');
    t.is(jp61?.cuda?.value, '12.6');
  }
});

test('AGX Orin keeps DLA on TensorRT 10.3, loses it on JetPack 7.2 + TensorRT 10.16, regains it on TensorRT 11.4.1', async (t) => {
  for (const id of ['jetson-agx-orin-32gb', 'jetson-agx-orin-64gb']) {
    const agx = await byId(id);
    t.true(dlaUsable(agx, '10.3'), id);
    t.false(dlaUsable(agx, '10.16'));
    t.is(agx.software.find((l) => l.jetpack === '7.2')?.dla.confidence, 'confirmed');
    t.true(dlaUsable(agx, '11.4.1'));
  }
  // TensorRT 11.4.1 names AGX Orin only: the NX profiles stop at JetPack 7.2.
  const nx = await byId('jetson-orin-nx-16gb');
  t.false(nx.software.some((l) => l.tensorrt?.value.startsWith('11.')));
});

test('Nano and TX2: no INT8 on the GPU, last line JetPack 4.6.x with TensorRT 8.x', async (t) => {
  for (const id of ['jetson-nano-4gb', 'jetson-tx2-8gb']) {
    const p = await byId(id);
    t.deepEqual(p.gpu?.precisions.value, ['fp32', 'fp16'], id);
    t.is(p.gpu?.tensorCores.value, 0);
    t.is(p.throughput.int8DenseTops, null);
    t.true(p.software.every((l) => l.jetpack?.startsWith('4.6') && l.tensorrt?.value.startsWith('8.')));
  }
  t.is((await byId('jetson-tx2-8gb')).gpu?.precisions.confidence, 'confirmed');
});

test('Jetson memory is unified; the ground station and CPU targets say what they are', async (t) => {
  for (const p of await profiles) {
    if (p.kind === 'jetson') t.true(p.memory.unified.value, p.id);
  }
  const gs = await byId('ground-station');
  t.is(gs.kind, 'x86-gpu');
  t.false(gs.memory.unified.value);
  t.is(gs.gpu?.sm, 'sm_89');
  t.is(gs.cpu.cores.confidence, 'assumed');
  const cpu = await byId('cpu');
  t.is(cpu.runtime, 'onnxruntime');
  t.is(cpu.gpu, null);
  t.deepEqual(cpu.cpu.precisions?.value, ['fp32', 'int8']);
  t.true(cpu.software.every((l) => l.tensorrt === null && l.onnxruntime !== null));
});

test('power modes are named, each set has its default among its modes, and Super configs are separate sets', async (t) => {
  const nano8 = await byId('jetson-orin-nano-8gb');
  t.deepEqual(
    nano8.power.modeSets.map((s) => [s.name, s.defaultMode]),
    [
      ['original', '15W'],
      ['super', '25W'],
    ],
  );
  t.deepEqual(
    nano8.power.modeSets[1]!.modes.map((m) => m.name),
    ['15W', '25W', 'MAXN_SUPER'],
  );
  const agx = await byId('jetson-agx-orin-64gb');
  const maxn = agx.power.modeSets[0]!.modes.find((m) => m.name === 'MAXN')!;
  t.is(maxn.gpuMaxMHz?.value, null, 'MAXN leaves the GPU uncapped');
  t.is(maxn.int8SparseTops?.value, 275);
  for (const p of await profiles) {
    for (const s of p.power.modeSets) t.is(s.modes.filter((m) => m.isDefault).length, 1, `${p.id} ${s.name}`);
  }
});

test('values the notes mark unconfirmed stay unconfirmed; dense-from-sparse figures are marked derived', async (t) => {
  t.is((await byId('jetson-orin-nx-8gb')).dla.count.confidence, 'unconfirmed');
  t.is((await byId('jetson-agx-thor-t5000')).memory.totalGiB.confidence, 'unconfirmed');
  t.is(
    (await byId('jetson-orin-nano-8gb')).software.find((l) => l.jetpack === '6.0')?.tensorrt?.confidence,
    'unconfirmed',
  );
  const agx = await byId('jetson-agx-orin-64gb');
  t.is(agx.throughput.published?.int8SparseTops?.confidence, 'confirmed');
  t.is(agx.throughput.published?.int8DenseTops?.confidence, 'derived');
  t.is(agx.throughput.published?.int8DenseTops?.value, 137.5);
  // Where FP16 is not published it is an estimate with the method in its note.
  t.is(agx.throughput.fp16DenseTflops?.confidence, 'estimate');
  t.regex(agx.throughput.fp16DenseTflops?.note ?? '', /INT8 \/ 2/);
});

test('every sourced fact in every profile names an http(s) source; every other one says how it was obtained', async (t) => {
  let facts = 0;
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}[${i}]`));
    if (typeof node !== 'object' || node === null) return;
    const rec = node as { confidence?: string; source?: string | string[]; note?: string };
    if (typeof rec.confidence === 'string') {
      facts++;
      const sources = rec.source === undefined ? [] : Array.isArray(rec.source) ? rec.source : [rec.source];
      if (SOURCED_CONFIDENCE.includes(rec.confidence as never))
        t.true(sources.length > 0 && sources.every((s) => /^https?:\/\//.test(s)), where);
      else t.truthy(rec.note, where);
    }
    for (const [k, v] of Object.entries(node)) visit(v, `${where}.${k}`);
  };
  for (const f of readdirSync(TARGETS).filter((n) => n !== 'schema.json' && n.endsWith('.json'))) {
    visit(JSON.parse(readFileSync(join(TARGETS, f), 'utf8')), f);
  }
  t.true(facts > 900, `checked ${facts} facts`);
});

test('profiles agree with each other about the same JetPack release', async (t) => {
  const seen = new Map<string, { from: string; stack: string }>();
  for (const p of await profiles) {
    for (const l of p.software) {
      if (!l.jetpack) continue;
      const stack = JSON.stringify([
        l.l4t?.value,
        l.cuda?.value,
        l.cudnn?.value,
        l.tensorrt?.value,
        l.tensorrt?.confidence,
      ]);
      const other = seen.get(l.jetpack);
      if (other) t.is(stack, other.stack, `JetPack ${l.jetpack}: ${p.id} vs ${other.from}`);
      else seen.set(l.jetpack, { from: p.id, stack });
    }
  }
  t.true(seen.size >= 18);
});

test('no shipped profile raises a warning except the known data gaps', async (t) => {
  const warned = (await profiles).filter((p) => p.warnings.length).map((p) => [p.id, p.warnings]);
  t.deepEqual(warned, [
    ['jetson-agx-orin-32gb', ['software[10].cuda: JetPack 7.2.2: CUDA version not known']],
    ['jetson-agx-orin-64gb', ['software[8].cuda: JetPack 7.2.2: CUDA version not known']],
    [
      'jetson-agx-thor-t5000',
      [
        'power.modeSets: no power modes are known for this module',
        'software[2].cuda: JetPack 7.2.2: CUDA version not known',
      ],
    ],
  ]);
});
