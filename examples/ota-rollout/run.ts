/**
 * The OTA rollout demo, end to end, in one command:
 *
 *   npx tsx examples/ota-rollout/run.ts
 *
 * 1. Builds three releases of a drone model from ringmoe-tiny: 1.0.0 (optical sub-model, seed 1),
 *    2.0.0 (optical, retrained = seed 2) and 2.1.0 (2.0.0 plus the SAR-L2 experts), and signs them.
 * 2. Starts an MQTT broker and four simulated drones (separate processes), all on 1.0.0, each
 *    serving a camera stream of real aerial tiles.
 * 3. Publishes 2.0.0 with `ringmoe-edge publish`: three drones install it; drone-4, whose latency
 *    budget 2.0.0 cannot meet, rolls back after its health check and says why.
 * 4. Publishes 2.1.0 over MQTT chunks only: the drones on 2.0.0 fetch only the SAR-L2 experts.
 * 5. Stops the drones: no frame was lost or served twice across the swaps.
 *
 * Everything is written under out/ota-rollout/ (git-ignored). Exits non-zero if any of that fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedBroker, type AgentReport } from '../../sdk/index.js';
import { FleetWatcher } from '../../tools/bundle/fleet-status.js';

const ROOT = resolve(process.argv[2] ?? join('out', 'ota-rollout'));
const FLEET = 'demo';
const DEVICES = [
  { name: 'drone-1', budgetMs: 2000 },
  { name: 'drone-2', budgetMs: 2000 },
  { name: 'drone-3', budgetMs: 2000 },
  { name: 'drone-4', budgetMs: 0.01 }, // a budget no model meets on this machine: 2.0.0 fails its health check here
];
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
  console.log(`${ok ? '  ok ' : '  FAIL'} ${what}`);
};
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Runs the ringmoe-edge CLI; returns its --json result. */
function cli(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['bin/ringmoe-edge.js', ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // The command's notes: keep what it says about the publication, not its progress lines.
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (/^(published|delta|embedded|error)/.test(line)) console.log(`   ${line}`);
    });
    child.on('exit', (code) =>
      code === 0
        ? res(JSON.parse(out) as Record<string, unknown>)
        : rej(new Error(`ringmoe-edge ${args[0]} exited ${code}: ${out}`)),
    );
  });
}

console.log(`== building three releases under ${ROOT}`);
await rm(ROOT, { recursive: true, force: true });
await mkdir(ROOT, { recursive: true });
const p = (...x: string[]) => join(ROOT, ...x);
for (const seed of [1, 2])
  await cli(['reference', 'ringmoe-tiny', '-o', p(`full-seed${seed}`), '--seed', String(seed)]);
// Modality sub-models: whole entries, their files byte for byte, so the releases share blobs.
await cli(['prune', p('full-seed1'), '-o', p('pkg-1.0.0'), '--modalities', 'optical', '--name', 'ringmoe-tiny-drone']);
await cli(['prune', p('full-seed2'), '-o', p('pkg-2.0.0'), '--modalities', 'optical', '--name', 'ringmoe-tiny-drone']);
await cli([
  'prune',
  p('full-seed2'),
  '-o',
  p('pkg-2.1.0'),
  '--modalities',
  'optical,sar-l2',
  '--name',
  'ringmoe-tiny-drone',
]);
await cli(['keygen', '-o', p('keys', 'release'), '--trust', p('trust.json'), '--roles', 'bundle', '--name', 'release']);
await cli([
  'keygen',
  '-o',
  p('keys', 'operator'),
  '--trust',
  p('trust.json'),
  '--roles',
  'desired',
  '--name',
  'operator',
]);
for (const v of ['1.0.0', '2.0.0', '2.1.0']) {
  const r = await cli([
    'bundle',
    p(`pkg-${v}`),
    '-o',
    p('bundles', v),
    '--release',
    v,
    '--target',
    'cpu',
    '--name',
    'drone-model',
    '--key',
    p('keys', 'release.key'),
  ]);
  console.log(
    `   drone-model@${v}: ${r.files} files, ${kib(r.totalSize as number)}, modalities ${(r.modalities as string[]).join('+')}`,
  );
}

console.log('== starting the broker and four drones on 1.0.0');
const broker = await startEmbeddedBroker({ port: 0 });
const watch = await FleetWatcher.start({ broker: broker.url, fleet: FLEET });
const lastState = new Map<string, string>();
watch.onChange(() => {
  for (const d of watch.devices()) {
    if (lastState.get(d.device) !== d.state)
      console.log(`   ${d.device}: ${lastState.get(d.device) ?? '-'} → ${d.state} (${d.transition})`);
    lastState.set(d.device, d.state);
  }
});
const children: ChildProcess[] = [];
const summaries = new Map<string, Record<string, unknown>>();
for (const d of DEVICES) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'examples/ota-rollout/device.ts',
      '--name',
      d.name,
      '--fleet',
      FLEET,
      '--broker',
      broker.url,
      '--store',
      p('devices', d.name),
      '--trust',
      p('trust.json'),
      '--provision',
      p('bundles', '1.0.0'),
      '--latency-budget-ms',
      String(d.budgetMs),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('SUMMARY ')) summaries.set(d.name, JSON.parse(line.slice(8)) as Record<string, unknown>);
    else console.log(`   ${line}`);
  });
  children.push(child);
}
const on = (version: string) => (ds: AgentReport[]) =>
  ds.length === DEVICES.length && ds.every((x) => x.current?.version === version && x.state === 'idle');
check(await watch.waitFor(on('1.0.0'), 120_000), 'all four drones report 1.0.0');
await new Promise((r) => setTimeout(r, 1000)); // let the cameras run on 1.0.0 for a moment

console.log('== ringmoe-edge publish bundles/2.0.0 --fleet demo (HTTP)');
const r2 = await cli([
  'publish',
  p('bundles', '2.0.0'),
  '--fleet',
  FLEET,
  '--broker',
  broker.url,
  '--key',
  p('keys', 'operator.key'),
  '--base',
  p('bundles', '1.0.0'),
  '--wait',
  '180',
  '--expect',
  String(DEVICES.length),
]);
const devs2 = r2.devices as { device: string; running: string; outcome: string; code?: string; message?: string }[];
for (const d of devs2)
  console.log(`   ${d.device}: ${d.outcome} → running ${d.running}${d.code ? ` (${d.code}: ${d.message})` : ''}`);
check(r2.complete === true, 'every drone answered 2.0.0');
check(
  devs2.filter((d) => d.outcome === 'installed' && d.running === 'drone-model@2.0.0').length === 3,
  'three drones run 2.0.0',
);
const d4 = devs2.find((d) => d.device === 'drone-4');
check(
  d4?.outcome === 'rolled-back' && d4.code === 'E_HEALTH_CHECK' && d4.running === 'drone-model@1.0.0',
  'drone-4 rolled back to 1.0.0 after a failed health check, and said why',
);

console.log('== ringmoe-edge publish bundles/2.1.0 --fleet demo --mqtt-chunks --no-http (expert add: + SAR-L2)');
const r3 = await cli([
  'publish',
  p('bundles', '2.1.0'),
  '--fleet',
  FLEET,
  '--broker',
  broker.url,
  '--key',
  p('keys', 'operator.key'),
  '--no-http',
  '--mqtt-chunks',
  '--base',
  p('bundles', '2.0.0'),
  '--wait',
  '180',
  '--expect',
  String(DEVICES.length),
]);
const delta = r3.delta as {
  blobsNeeded: number;
  blobsTotal: number;
  bytesNeeded: number;
  bytesTotal: number;
  paths: string[];
};
console.log(
  `   delta 2.0.0 → 2.1.0: ${delta.blobsNeeded} of ${delta.blobsTotal} blobs, ${kib(delta.bytesNeeded)} of ${kib(delta.bytesTotal)}`,
);
console.log(
  `   what travels: ${delta.paths.filter((x) => !x.includes('modal.sar-l2.')).join(', ')} and ${delta.paths.filter((x) => x.includes('modal.sar-l2.')).length} SAR-L2 expert files`,
);
const per = watch
  .devices()
  .map((d) => `${d.device} fetched ${kib(d.outcome?.transfer?.bytes ?? 0)} (${d.outcome?.result})`);
console.log(`   ${per.join('; ')}`);
const sent = r3.bytesSent as { mqtt: number; mqttRepeated: number };
console.log(`   MQTT carried ${kib(sent.mqtt)} in chunks to ${DEVICES.length} drones`);
check(
  delta.paths.every((x) => /sar-l2|fusion|^ringmoe\.json$|^reports\//.test(x)),
  'the update ships only the SAR-L2 experts, embedding, router, graphs and fusion head (plus the new package manifest and fidelity report)',
);
check(watch.devices().filter((d) => d.current?.version === '2.1.0').length === 3, 'three drones run 2.1.0');
check(
  watch
    .devices()
    .filter((d) => d.device !== 'drone-4')
    .every((d) => d.outcome?.transfer?.bytes === delta.bytesNeeded),
  'each drone on 2.0.0 fetched exactly the delta',
);

console.log('== stopping the drones');
for (const c of children) c.kill('SIGTERM');
await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
for (const d of DEVICES) {
  const s = summaries.get(d.name) as
    | {
        frames: {
          submitted: number;
          served: number;
          lost: number;
          duplicated: number;
          errors: number;
          perModel: Record<string, number>;
        };
      }
    | undefined;
  if (!s) {
    check(false, `${d.name} printed its summary`);
    continue;
  }
  const f = s.frames;
  console.log(
    `   ${d.name}: ${f.served} frames served (${Object.entries(f.perModel)
      .map(([v, n]) => `${n} by ${v}`)
      .join(', ')}), lost ${f.lost}, served twice ${f.duplicated}, failed ${f.errors}`,
  );
  check(
    f.lost === 0 && f.duplicated === 0 && f.errors === 0,
    `${d.name}: no frame lost, repeated or failed across the swaps`,
  );
}
await watch.close();
await broker.close();
console.log(failures.length ? `\n${failures.length} check(s) failed` : '\nall checks passed');
process.exitCode = failures.length ? 1 : 0;
