import test from 'ava';
import { readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { EngineKey } from '../../../../sdk/runtime/engine-cache/key.js';
import { EngineCache } from '../../../../sdk/runtime/engine-cache/store.js';
import { xorByte } from '../../../helpers/bytes.js';
import { tempDir } from '../../../helpers/native-binding.js';

const KEY: EngineKey = {
  entry: 'classifier',
  graphSha256: '1'.repeat(64),
  experts: ['s1.b0.shared'],
  tensorrt: '8.6.2',
  computeCapability: '8.7',
  gpuName: 'Orin',
  target: { kind: 'gpu' },
  precision: 'fp16',
  typing: 'weak',
  profile: { min: 1, opt: 2, max: 4 },
};
const PLAN = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff);

async function withCache(t: { teardown: (fn: () => void) => void }): Promise<EngineCache> {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const cache = new EngineCache(`${dir}/engines`);
  await cache.save(KEY, PLAN, { build: { notes: ['n'] } });
  return cache;
}

test('a saved plan is found again, byte for byte, with its sidecar', async (t) => {
  const cache = await withCache(t);
  const r = await cache.lookup(KEY);
  t.is(r.status, 'hit');
  if (r.status !== 'hit') return;
  t.deepEqual(new Uint8Array(r.plan), PLAN);
  t.is(r.sidecar.planBytes, PLAN.length);
  t.deepEqual(r.sidecar.build, { notes: ['n'] });
  t.true(r.planPath.endsWith('classifier.fp16.gpu.b1-2-4.plan'));
});

test('an empty cache is a miss, not an error', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  t.is((await new EngineCache(dir).lookup(KEY)).status, 'miss');
});

const STALE: [string, Partial<EngineKey>, RegExp][] = [
  [
    'another graph (stale sidecar)',
    { graphSha256: '2'.repeat(64) },
    /another model configuration \(differs in graphSha256\)/,
  ],
  ['another expert subset', { experts: ['s1.b0.collaborative.0'] }, /differs in experts/],
  [
    'another TensorRT version',
    { tensorrt: '10.3.0' },
    /built with TensorRT 8\.6\.2 on Orin .*this device runs TensorRT 10\.3\.0 .*differs in tensorrt/,
  ],
  [
    'another compute capability',
    { computeCapability: '7.2', gpuName: 'Xavier' },
    /differs in computeCapability, gpuName/,
  ],
];
for (const [name, change, re] of STALE) {
  test(`EXPECTED FAILURE - a sidecar for ${name} is rejected with E_ENGINE_STALE`, async (t) => {
    const cache = await withCache(t);
    const r = await cache.lookup({ ...KEY, ...change });
    t.is(r.status, 'rejected');
    if (r.status !== 'rejected') return;
    t.is(r.error.code, 'E_ENGINE_STALE');
    t.regex(r.error.message, re);
    await t.throwsAsync(cache.load({ ...KEY, ...change }), { code: 'E_ENGINE_STALE' } as never);
  });
}

test('EXPECTED FAILURE - a truncated plan is rejected with E_ENGINE_FOREIGN', async (t) => {
  const cache = await withCache(t);
  truncateSync(cache.paths(KEY).plan, 1000);
  const r = await cache.lookup(KEY);
  t.is(r.status, 'rejected');
  if (r.status === 'rejected') {
    t.is(r.error.code, 'E_ENGINE_FOREIGN');
    t.regex(r.error.message, /has 1000 bytes but its sidecar records 4096/);
  }
});

test('EXPECTED FAILURE - a plan with a foreign checksum (same size, other bytes) is rejected with E_ENGINE_FOREIGN', async (t) => {
  const cache = await withCache(t);
  const bytes = readFileSync(cache.paths(KEY).plan);
  xorByte(bytes, 100, 0xff);
  writeFileSync(cache.paths(KEY).plan, bytes);
  const r = await cache.lookup(KEY);
  t.is(r.status, 'rejected');
  if (r.status === 'rejected') {
    t.is(r.error.code, 'E_ENGINE_FOREIGN');
    t.regex(r.error.message, /sha256 .* is not the .* its sidecar records/);
  }
});

test('EXPECTED FAILURE - a plan without a sidecar (origin unknown) is rejected with E_ENGINE_FOREIGN', async (t) => {
  const cache = await withCache(t);
  unlinkSync(cache.paths(KEY).sidecar);
  const r = await cache.lookup(KEY);
  t.is(r.status === 'rejected' && r.error.code, 'E_ENGINE_FOREIGN');
});

test('EXPECTED FAILURE - an edited sidecar (key changed, keyHash not) is rejected with E_ENGINE_FOREIGN', async (t) => {
  const cache = await withCache(t);
  const side = JSON.parse(readFileSync(cache.paths(KEY).sidecar, 'utf8'));
  side.key.tensorrt = '10.3.0';
  await writeFile(cache.paths(KEY).sidecar, JSON.stringify(side));
  const r = await cache.lookup({ ...KEY, tensorrt: '10.3.0' });
  t.is(r.status === 'rejected' && r.error.code, 'E_ENGINE_FOREIGN');
  t.regex(r.status === 'rejected' ? r.error.message : '', /keyHash does not match its key/);
});

test('EXPECTED FAILURE - a sidecar that is not JSON or of another format is rejected with E_ENGINE_FOREIGN', async (t) => {
  const cache = await withCache(t);
  await writeFile(cache.paths(KEY).sidecar, '{ not json');
  const a = await cache.lookup(KEY);
  t.is(a.status === 'rejected' && a.error.code, 'E_ENGINE_FOREIGN');
  await writeFile(cache.paths(KEY).sidecar, JSON.stringify({ format: 'something-else' }));
  const b = await cache.lookup(KEY);
  t.regex(b.status === 'rejected' ? b.error.message : '', /not an engine sidecar/);
});

test('saving again replaces plan and sidecar; remove deletes both', async (t) => {
  const cache = await withCache(t);
  const next = { ...KEY, tensorrt: '10.3.0' };
  await cache.save(next, PLAN.subarray(0, 100));
  const r = await cache.lookup(next);
  t.is(r.status, 'hit');
  t.is((await cache.lookup(KEY)).status, 'rejected');
  await cache.remove(next);
  t.is((await cache.lookup(next)).status, 'miss');
});
