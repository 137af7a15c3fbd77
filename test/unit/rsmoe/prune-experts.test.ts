/**
 * Expert-subset pruning: the pruned package holds only the kept experts, a runtime on it never
 * loads or calls a removed expert, and the kept experts answer exactly as they did unpruned.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import test from 'ava';
import { openPackage } from '../../../sdk/package/open-package.js';
import type { Backend, BackendSession } from '../../../sdk/core/backend.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { createVlmRuntime } from '../../../sdk/vlm/vlm-runtime.js';
import { planExpertPrune, pruneExperts } from '../../../tools/rsmoe/prune-experts.js';
import { tempDir } from '../../helpers/packages.js';
import { aerialFrame, rsmoePackage } from '../../helpers/rsmoe-package.js';

/** An onnxruntime backend that records every graph loaded and every run per graph. */
function spyBackend(): { backend: Backend; loads: string[]; runs: Map<string, number> } {
  const inner = new OrtBackend();
  const loads: string[] = [];
  const runs = new Map<string, number>();
  const backend: Backend = {
    name: 'onnxruntime',
    availability: () => inner.availability(),
    async load(o) {
      const name = basename(o.graphPath);
      loads.push(name);
      const s = await inner.load(o);
      const wrapped: BackendSession = {
        backend: s.backend,
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        info: s.info,
        run: (feeds, outputs) => {
          runs.set(name, (runs.get(name) ?? 0) + 1);
          return s.run(feeds, outputs);
        },
        dispose: () => s.dispose(),
      };
      return wrapped;
    },
  };
  return { backend, loads, runs };
}

test('keeping theme and objects: relations is gone from the package and never loaded or called; kept experts answer as before', async (t) => {
  const src = await rsmoePackage();
  const out = join(tempDir('rsmoe-pruned'), 'p');
  const { plan, manifest } = await pruneExperts({ dir: src.dir, outDir: out, keep: ['theme', 'objects'] });
  t.deepEqual(plan.drop, ['relations']);
  t.deepEqual(
    manifest.vlm!.experts.map((e) => e.id),
    ['theme', 'objects'],
  );
  t.false(existsSync(join(out, 'weights/expert.relations.bin')));
  t.false(existsSync(join(out, 'expert.relations.decoder.onnx')));
  t.is(manifest.lineage.at(-1)!.step, 'prune');
  t.true(plan.kvBytesPerToken.after * 3 === plan.kvBytesPerToken.before * 2);
  t.true(plan.params.after < plan.params.before);
  await openPackage(out); // verifies every hash

  const full = spyBackend();
  const pruned = spyBackend();
  const a = await createVlmRuntime({ package: src.dir, backend: full.backend });
  const b = await createVlmRuntime({ package: out, backend: pruned.backend });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const q = 'how many ships are in the harbour?';
  const ra = await a.ask(aerialFrame('aero1'), q, { generation: { maxTokens: 8 } });
  const rb = await b.ask(aerialFrame('aero1'), q, { generation: { maxTokens: 8 } });
  // The spy sees the unpruned runtime call relations (so the check below can fail) ...
  t.true((full.runs.get('expert.relations.decoder.onnx') ?? 0) > 0);
  // ... and the pruned one never load or call it.
  t.false(pruned.loads.some((l) => l.includes('relations')));
  t.false([...pruned.runs.keys()].some((l) => l.includes('relations')));
  t.deepEqual(
    rb.experts.map((e) => e.id),
    ['theme', 'objects'],
  );
  t.deepEqual(
    rb.experts.map((e) => e.tokens),
    ra.experts.slice(0, 2).map((e) => e.tokens),
  );
  t.is(b.kvBytesPerToken * 3, a.kvBytesPerToken * 2);
});

test('unknown, duplicate or no experts are refused with E_PRUNE before anything is written', async (t) => {
  const { manifest } = await rsmoePackage();
  for (const keep of [['theme', 'scenery'], [], ['theme', 'theme']]) {
    t.throws(() => planExpertPrune(manifest, 'h', keep), { code: 'E_PRUNE' } as never);
  }
  const out = join(tempDir('rsmoe-refused'), 'p');
  await t.throwsAsync(pruneExperts({ dir: (await rsmoePackage()).dir, outDir: out, keep: ['sea'] }), {
    code: 'E_PRUNE',
  } as never);
  t.false(existsSync(out));
});
