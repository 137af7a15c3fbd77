/**
 * The one contract every inference Backend passes. A runner calls `backendContract(test, harness)`
 * (backend-ort.test.ts: sessions on the calling thread; backend-ort-worker.test.ts: in worker
 * threads). The model is ringmoe-tiny's reference package, generated per test process: real graphs
 * with a symbolic batch, eleven outputs (float32 and int64) and a two-input fusion entry.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, BackendSession } from '../../sdk/core/backend.js';
import type { HostTensor } from '../../sdk/core/host-tensor.js';
import { randomFeeds, tempDir, tinyPackage } from '../helpers/packages.js';
import { rejection } from '../helpers/rejection.js';

/** How the contract makes backends. */
export interface BackendHarness {
  name: string;
  create(): Backend;
}

/** Feeds for the optical entry (batch n, values from the seed). */
async function opticalFeeds(n: number, seed: number): Promise<Record<string, HostTensor>> {
  const { manifest } = await tinyPackage();
  return randomFeeds(
    manifest.entries.find((e) => e.name === 'optical')!,
    n,
    seed,
  );
}

async function graph(entry: string): Promise<string> {
  const { dir, manifest } = await tinyPackage();
  return join(dir, manifest.entries.find((e) => e.name === entry)!.graph);
}

/** Every value equal, bit for bit (NaN never appears in these outputs). */
function sameTensors(
  t: ExecutionContext,
  a: Record<string, HostTensor>,
  b: Record<string, HostTensor>,
  names?: string[],
): void {
  t.deepEqual(Object.keys(a).sort(), (names ?? Object.keys(b)).sort());
  for (const k of names ?? Object.keys(b)) {
    t.is(a[k]!.dtype, b[k]!.dtype, k);
    t.deepEqual(a[k]!.shape, b[k]!.shape, k);
    t.deepEqual(a[k]!.data, b[k]!.data, k);
  }
}

/** Registers the contract tests for `harness` on `test`. */
export function backendContract(test: TestFn, harness: BackendHarness): void {
  const name = harness.name;
  const use = async (entry: string, body: (s: BackendSession, graphPath: string) => Promise<void>): Promise<void> => {
    const graphPath = await graph(entry);
    const s = await harness.create().load({ graphPath, threads: 1 });
    try {
      await body(s, graphPath);
    } finally {
      await s.dispose();
    }
  };

  test(`${name}: is available and names onnxruntime`, async (t) => {
    const b = harness.create();
    t.is(b.name, 'onnxruntime');
    const a = await b.availability();
    t.true(a.available, a.reason);
    t.true(a.devices!.includes('cpu'));
  });

  test(`EXPECTED FAILURE - ${name}: a graph file that does not exist is E_BACKEND_INIT naming it`, async (t) => {
    const missing = join(tempDir('contract'), 'absent.onnx');
    const err = await rejection(harness.create().load({ graphPath: missing }));
    t.is(err.code, 'E_BACKEND_INIT');
    t.is(err.file, missing);
    t.regex(err.message, /onnxruntime cannot load the graph: .*absent\.onnx/);
  });

  test(`EXPECTED FAILURE - ${name}: a file that is not ONNX is E_BACKEND_INIT naming it`, async (t) => {
    const junk = join(tempDir('contract'), 'junk.onnx');
    writeFileSync(junk, 'this is not a protobuf model\n'.repeat(40));
    const err = await rejection(harness.create().load({ graphPath: junk }));
    t.is(err.code, 'E_BACKEND_INIT');
    t.is(err.file, junk);
  });

  test(`BAD CALL - ${name}: bad load options are E_INVALID_ARGUMENT naming them`, async (t) => {
    const graphPath = await graph('optical');
    t.like(await rejection(harness.create().load({ graphPath, threads: 0 })), {
      code: 'E_INVALID_ARGUMENT',
      field: 'threads',
    });
    t.like(await rejection(harness.create().load({ graphPath, extra: { executionProviders: 'cpu' } })), {
      code: 'E_INVALID_ARGUMENT',
      field: 'extra.executionProviders',
    });
  });

  test(`${name}: names the graph's inputs and outputs and says what it does`, async (t) => {
    const { manifest } = await tinyPackage();
    const entry = manifest.entries.find((e) => e.name === 'optical')!;
    await use('optical', async (s, graphPath) => {
      t.is(s.backend, 'onnxruntime');
      t.deepEqual([...s.inputNames], ['image']);
      t.deepEqual(
        [...s.outputNames],
        entry.outputs.map((o) => o.name),
      );
      t.like(s.info, { provider: 'cpu', precision: 'fp32', graph: graphPath });
    });
  });

  test(`${name}: a run fetches every output, or exactly the ones asked for, with the same values`, async (t) => {
    const feeds = await opticalFeeds(2, 1);
    const again = await opticalFeeds(2, 1);
    await use('optical', async (s) => {
      const all = await s.run(feeds);
      t.is(Object.keys(all).length, s.outputNames.length);
      t.like(all.cls_logits, { dtype: 'float32', shape: [2, 45] });
      t.like(all.det_classes, { dtype: 'int64', shape: [2, 32] });
      t.true(all.det_classes!.data instanceof BigInt64Array);
      const some = await s.run(again, ['det_classes', 'cls_logits']);
      sameTensors(t, some, all, ['det_classes', 'cls_logits']);
    });
  });

  test(`${name}: a feed in shared memory (SharedArrayBuffer) runs, with the values of an ordinary one, and stays intact`, async (t) => {
    const feeds = await opticalFeeds(2, 4);
    const plain = feeds.image!.data as Float32Array;
    const shared = new Float32Array(new SharedArrayBuffer(plain.byteLength));
    shared.set(plain);
    await use('optical', async (s) => {
      const fromShared = await s.run({ image: { ...feeds.image!, data: shared } }, ['cls_logits']);
      t.is(shared.length, plain.length);
      t.deepEqual([...shared], [...((await opticalFeeds(2, 4)).image!.data as Float32Array)]);
      sameTensors(t, fromShared, await s.run(await opticalFeeds(2, 4), ['cls_logits']));
    });
  });

  test(`${name}: a two-input entry runs`, async (t) => {
    const { manifest } = await tinyPackage();
    const feeds = randomFeeds(
      manifest.entries.find((e) => e.name === 'fusion-optical-sar-l2')!,
      1,
      3,
    );
    await use('fusion-optical-sar-l2', async (s) => {
      t.deepEqual([...s.inputNames].sort(), ['image_optical', 'image_sar_l2']);
      const out = await s.run(feeds, ['embedding']);
      t.deepEqual(out.embedding!.shape, [1, 64]);
      t.true((out.embedding!.data as Float32Array).every(Number.isFinite));
    });
  });

  test(`BAD CALL - ${name}: feeds the graph does not take are E_INVALID_ARGUMENT naming the input`, async (t) => {
    await use('optical', async (s) => {
      const ok = (await opticalFeeds(1, 2)).image!;
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ imag: ok }, 'feeds.imag', /no input imag; inputs: image/],
        [{}, 'feeds.image', /input image was not given/],
        [{ image: { ...ok, shape: [1, 3, 64] } }, 'feeds.image', /shape \[1,3,64\] but the graph takes \[N,3,64,64\]/],
        [{ image: { ...ok, shape: [1, 3, 65, 64] } }, 'feeds.image', /shape \[1,3,65,64\]/],
        [
          { image: { ...ok, shape: [2, 3, 64, 64] } },
          'feeds.image',
          /holds 12288 values but shape \[2,3,64,64\] needs 24576/,
        ],
        [
          { image: { dtype: 'int32', shape: [1, 3, 64, 64], data: new Int32Array(12288) } },
          'feeds.image',
          /image is int32 but the graph takes float32/,
        ],
        [
          { image: { dtype: 'float32', shape: [1, 3, 64, 64], data: new Float64Array(12288) } },
          'feeds.image',
          /must be a Float32Array/,
        ],
        [
          { image: { dtype: 'complex64', shape: [1, 3, 64, 64], data: ok.data } },
          'feeds.image.dtype',
          /Expected one of/,
        ],
        [{ image: 'pixels' }, 'feeds.image', /a tensor/],
      ];
      for (const [feeds, field, message] of cases) {
        const err = await rejection(s.run(feeds as Record<string, HostTensor>));
        t.is(err.code, 'E_INVALID_ARGUMENT', field);
        t.is(err.field, field);
        t.regex(err.message, message);
      }
      const err = await rejection(s.run(await opticalFeeds(1, 2), ['cls_logits', 'logits']));
      t.like(err, { code: 'E_INVALID_ARGUMENT', field: 'outputs' });
      t.regex(err.message, /no output logits/);
      // The session still works after refusing them.
      t.deepEqual((await s.run(await opticalFeeds(1, 2), ['embedding'])).embedding!.shape, [1, 64]);
    });
  });

  test(`EXPECTED FAILURE - ${name}: a run onnxruntime refuses is E_INFERENCE naming the graph; the session goes on`, async (t) => {
    const { manifest } = await tinyPackage();
    const entry = manifest.entries.find((e) => e.name === 'fusion-optical-sar-l2')!;
    await use('fusion-optical-sar-l2', async (s, graphPath) => {
      // Batch 1 of one input, 2 of the other: every feed fits the graph, the graph's Concat does not.
      const feeds = {
        image_optical: randomFeeds(entry, 1, 4).image_optical!,
        image_sar_l2: randomFeeds(entry, 2, 4).image_sar_l2!,
      };
      const err = await rejection(s.run(feeds));
      t.is(err.code, 'E_INFERENCE');
      t.is(err.file, graphPath);
      t.regex(err.message, /onnxruntime failed: .*Concat/);
      t.deepEqual((await s.run(randomFeeds(entry, 1, 5), ['embedding'])).embedding!.shape, [1, 64]);
    });
  });

  test(`${name}: concurrent runs each get their own results`, async (t) => {
    const seeds = [11, 12, 13, 14, 15];
    await use('optical', async (s) => {
      const sequential: Record<string, HostTensor>[] = [];
      for (const seed of seeds) sequential.push(await s.run(await opticalFeeds(1, seed), ['cls_logits', 'depth']));
      const feeds = await Promise.all(seeds.map((seed) => opticalFeeds(1, seed)));
      const concurrent = await Promise.all(feeds.map((f) => s.run(f, ['cls_logits', 'depth'])));
      concurrent.forEach((r, i) => sameTensors(t, r, sequential[i]!));
      // Different inputs, different outputs: the results were not crossed or shared.
      t.notDeepEqual(concurrent[0]!.cls_logits!.data, concurrent[1]!.cls_logits!.data);
    });
  });

  test(`${name}: dispose lets a started run finish, is idempotent, and later runs are E_CLOSED`, async (t) => {
    const graphPath = await graph('optical');
    const s = await harness.create().load({ graphPath, threads: 1 });
    const running = s.run(await opticalFeeds(2, 6), ['embedding']);
    const disposed = s.dispose();
    t.deepEqual((await running).embedding!.shape, [2, 64]);
    await disposed;
    await s.dispose();
    const err = await rejection(s.run(await opticalFeeds(1, 6)));
    t.is(err.code, 'E_CLOSED');
    t.is(err.file, graphPath);
  });
}
