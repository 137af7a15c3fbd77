/**
 * The OTA model host for RS-MoE packages: load, warm up, activate, health-check; a package whose
 * expert weights are NaN fails its health check (so the agent rolls back), naming the expert.
 */
import { cp, open } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { VlmModelHost } from '../../../sdk/vlm/vlm-model-host.js';
import { tempDir } from '../../helpers/packages.js';
import { aerialFrame, rsmoePackage } from '../../helpers/rsmoe-package.js';

test('load → warm up → activate → healthy; a NaN expert is unhealthy; switching serves the new model', async (t) => {
  const { dir, manifest } = await rsmoePackage();
  const host = new VlmModelHost({ backend: new OrtBackend() });
  t.teardown(() => host.close());
  const good = await host.load({ id: 'good', dir });
  const warm = await host.warmUp(good, 1);
  t.is(warm.frames, 2);
  await host.activate(good);
  const ok = await host.healthCheck({ frames: 1, latencyBudgetMs: 60_000 });
  t.true(ok.ok, JSON.stringify(ok.failures));
  t.is(ok.passed, 2);
  const served = await host.ask(aerialFrame('aero1'), 'is there a bridge?', { generation: { maxTokens: 4 } });
  t.is(served.model.name, manifest.name);

  // The relations expert's weights overwritten with NaN (sizes unchanged, so a size-verified load works).
  const sick = join(tempDir('rsmoe-nan'), 'p');
  await cp(dir, sick, { recursive: true });
  const f = await open(join(sick, 'weights/expert.relations.bin'), 'r+');
  const size = (await f.stat()).size;
  const nan = new Float32Array(size / 4).fill(Number.NaN);
  await f.write(new Uint8Array(nan.buffer), 0, size, 0);
  await f.close();
  const bad = await host.load({ id: 'sick', dir: sick });
  const sw = await host.activate(bad);
  t.is(sw.from, 'good');
  const report = await host.healthCheck({ frames: 1, latencyBudgetMs: 60_000 });
  t.false(report.ok);
  t.true(
    report.failures.every((x) => x.code === 'E_HEALTH_CHECK' && /relations/.test(x.reason)),
    JSON.stringify(report.failures),
  );
  await host.activate(good);
  await host.unload(bad);
  await t.throwsAsync(host.unload(good), { code: 'E_INVALID_ARGUMENT' } as never);
});
