/**
 * Releases for the OTA benchmarks, built once and kept in .cache/bench/ota-pruned-<config>/: the optical
 * sub-model (v2.0.0) and the optical + SAR-L2 sub-model (v2.1.0) of a reference package (both made
 * by prune --modalities), signed bundles of both, keys and a trust store.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrustStore } from '../../sdk/core/signing/trust-store.js';
import { applyBundlePlan, bundlePlan } from '../../tools/bundle/pack.js';
import { signBundleDir } from '../../tools/bundle/sign.js';
import { prunePackage } from '../../tools/prune/prune.js';
import { BENCH_CACHE, benchPackage } from './harness.js';

/** What the OTA benchmarks run on. */
export interface OtaBenchSet {
  config: string;
  dir: string;
  trust: TrustStore;
  operator: KeyObject;
  /** Bundle directories. */
  v2: string;
  v3: string;
}

const TARGET = 'cpu-x86-64-onnxruntime';

/** Builds (once) or reopens the releases of `config`. */
export async function otaBenchSet(config: string, log: (l: string) => void): Promise<OtaBenchSet> {
  const dir = join(BENCH_CACHE, `ota-pruned-${config}`);
  const done = join(dir, 'ready');
  if (!existsSync(done)) {
    const full = await benchPackage(config, {}, log);
    log(`building ${config} OTA releases (once; cached in ${dir})`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    // Modality sub-models as `prune --modalities` writes them, fidelity report included.
    await prunePackage({
      dir: full,
      outDir: join(dir, 'pkg-v2'),
      options: { strategy: 'modality', modalities: ['optical'] },
      name: `${config}-drone`,
    });
    await prunePackage({
      dir: full,
      outDir: join(dir, 'pkg-v3'),
      options: { strategy: 'modality', modalities: ['optical', 'sar-l2'] },
      name: `${config}-drone`,
    });
    const release = generateKeyPairSync('ed25519');
    const operator = generateKeyPairSync('ed25519');
    await writeFile(join(dir, 'release.key'), release.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, {
      mode: 0o600,
    });
    await writeFile(join(dir, 'operator.key'), operator.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, {
      mode: 0o600,
    });
    const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }) as string;
    await writeFile(
      join(dir, 'trust.json'),
      JSON.stringify({
        format: 'ringmoe-edge/trust',
        keys: TrustStore.fromKeys([
          { publicKey: pem(release.publicKey), roles: ['bundle'] },
          { publicKey: pem(operator.publicKey), roles: ['desired'] },
        ]).list(),
      }),
    );
    for (const [v, pkg] of [
      ['2.0.0', 'pkg-v2'],
      ['2.1.0', 'pkg-v3'],
    ] as const) {
      await applyBundlePlan(
        await bundlePlan({ packageDir: join(dir, pkg), version: v, target: TARGET, name: `${config}-drone` }),
        join(dir, `bundle-${v}`),
      );
      await signBundleDir(join(dir, `bundle-${v}`), join(dir, 'release.key'));
    }
    await writeFile(done, 'ok\n');
  }
  const { loadPrivateKey } = await import('../../tools/bundle/keys.js');
  return {
    config,
    dir,
    trust: await TrustStore.load(join(dir, 'trust.json')),
    operator: await loadPrivateKey(join(dir, 'operator.key')),
    v2: join(dir, 'bundle-2.0.0'),
    v3: join(dir, 'bundle-2.1.0'),
  };
}

/** The device target of the benchmark bundles. */
export const OTA_BENCH_TARGET = TARGET;
