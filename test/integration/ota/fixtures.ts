/**
 * OTA fixtures: ringmoe-tiny packages (optical sub-models of two seeds, and an optical + SAR-L2
 * sub-model that adds experts), signed bundles of them, keys and a trust store, devices (a real
 * filesystem slot store and an onnxruntime host) and a continuous frame stream. Built once per
 * test process in a temp dir removed at exit.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { OtaAgent } from '../../../sdk/ota/agent/agent.js';
import type { OtaAgentOptions } from '../../../sdk/ota/agent/agent-options.js';
import { encodeDesired, DESIRED_FORMAT, type DesiredState } from '../../../sdk/ota/fleet/desired-state.js';
import type { ModelFrame, ModelFrameResult } from '../../../sdk/ota/hosts/model-host.js';
import { OrtModelHost } from '../../../sdk/ota/hosts/ort-model-host.js';
import { OtaMqttLink, type OtaMqttLinkOptions } from '../../../sdk/ota/fleet/mqtt-link.js';
import { probeFeeds } from '../../../sdk/ota/hosts/probe-frames.js';
import { FsSlotStore } from '../../../sdk/ota/slots/slot-store-fs.js';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { openBundleDir, type BundleDir } from '../../../tools/bundle/bundle-dir.js';
import { applyBundlePlan, bundlePlan } from '../../../tools/bundle/pack.js';
import { signBundleDir } from '../../../tools/bundle/sign.js';
import { prunePackage } from '../../../tools/prune/prune.js';
import { desiredFor } from '../../../tools/bundle/desired.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { writeFile } from 'node:fs/promises';
import { tempDir } from '../../helpers/packages.js';
import { LOADED_MACHINE_BUDGET_MS } from '../../helpers/budgets.js';

/** The device target every fixture bundle is built for. */
export const TARGET = 'cpu-x86-64-onnxruntime';
/** The fleet of fixture devices. */
export const FLEET = 'north';

/** Keys: release signs bundles, operator signs desired states, rogue is trusted by nobody. */
export interface FixtureKeys {
  release: KeyObject;
  operator: KeyObject;
  /** Trusted for desired states and rollbacks. */
  rollback: KeyObject;
  rogue: KeyObject;
}

export interface OtaFixture {
  root: string;
  keys: FixtureKeys;
  trust: TrustStore;
  trustFile: string;
  /** Private key files (PEM) of release and operator. */
  keyFiles: { release: string; operator: string };
  packages: { full1: string; full2: string; v1: string; v2: string; v3: string };
  /** Signed bundles: v1 = optical seed 1 (1.0.0), v2 = optical seed 2 (2.0.0), v3 = v2 + SAR-L2 experts (2.1.0). */
  bundles: { v1: string; v2: string; v3: string };
}

let cached: Promise<OtaFixture> | undefined;

function pem(k: KeyObject): string {
  return k.export({ format: 'pem', type: k.type === 'private' ? 'pkcs8' : 'spki' }) as string;
}

/** Writes a signed bundle of `pkg`. */
export async function makeBundle(
  pkg: string,
  out: string,
  version: string,
  keyFile: string,
  o: { name?: string; target?: string; minSdk?: string } = {},
): Promise<string> {
  const plan = await bundlePlan({
    packageDir: pkg,
    version,
    target: o.target ?? TARGET,
    name: o.name ?? 'drone-optical',
    ...(o.minSdk ? { minSdkVersion: o.minSdk } : {}),
  });
  await applyBundlePlan(plan, out);
  await signBundleDir(out, keyFile);
  return out;
}

/** The fixture (built on first use in this process). */
export function otaFixture(): Promise<OtaFixture> {
  cached ??= (async () => {
    const root = tempDir('ota');
    const pair = () => generateKeyPairSync('ed25519');
    const release = pair();
    const operator = pair();
    const rollback = pair();
    const rogue = pair();
    const keyFiles = { release: join(root, 'release.key'), operator: join(root, 'operator.key') };
    await writeFile(keyFiles.release, pem(release.privateKey), { mode: 0o600 });
    await writeFile(keyFiles.operator, pem(operator.privateKey), { mode: 0o600 });
    const trust = TrustStore.fromKeys([
      { publicKey: pem(release.publicKey), roles: ['bundle'], name: 'release' },
      { publicKey: pem(operator.publicKey), roles: ['desired'], name: 'operator' },
      { publicKey: pem(rollback.publicKey), roles: ['desired', 'rollback'], name: 'rollback' },
    ]);
    const trustFile = join(root, 'trust.json');
    await writeFile(trustFile, JSON.stringify({ format: 'ringmoe-edge/trust', keys: trust.list() }, null, 2));
    const full1 = join(root, 'full-1');
    const full2 = join(root, 'full-2');
    await writeReferencePackage({ config: namedConfig('ringmoe-tiny'), outDir: full1, seed: 1 });
    await writeReferencePackage({ config: namedConfig('ringmoe-tiny'), outDir: full2, seed: 2 });
    const packages = { full1, full2, v1: join(root, 'pkg-v1'), v2: join(root, 'pkg-v2'), v3: join(root, 'pkg-v3') };
    // Modality sub-models (prune --modalities): whole entries, their files byte for byte.
    const sub = (dir: string, outDir: string, modalities: string[]) =>
      prunePackage({
        dir,
        outDir,
        options: { strategy: 'modality', modalities },
        name: 'ringmoe-tiny-drone',
        evaluate: false,
        verify: 'size',
      });
    await sub(full1, packages.v1, ['optical']);
    await sub(full2, packages.v2, ['optical']);
    await sub(full2, packages.v3, ['optical', 'sar-l2']);
    const bundles = {
      v1: await makeBundle(packages.v1, join(root, 'bundle-1.0.0'), '1.0.0', keyFiles.release),
      v2: await makeBundle(packages.v2, join(root, 'bundle-2.0.0'), '2.0.0', keyFiles.release),
      v3: await makeBundle(packages.v3, join(root, 'bundle-2.1.0'), '2.1.0', keyFiles.release),
    };
    return {
      root,
      keys: {
        release: release.privateKey,
        operator: operator.privateKey,
        rollback: rollback.privateKey,
        rogue: rogue.privateKey,
      },
      trust,
      trustFile,
      keyFiles,
      packages,
      bundles,
    };
  })();
  return cached;
}

let seqCounter = Date.now();
/** A fresh, strictly increasing desired-state seq. */
export function nextSeq(): number {
  return ++seqCounter;
}

/** A signed desired-state message for a bundle directory. */
export async function desiredMessage(
  fx: OtaFixture,
  bundle: string | BundleDir,
  o: {
    http?: string[];
    mqtt?: boolean;
    seq?: number;
    rollback?: boolean;
    key?: KeyObject;
    device?: string;
    fleet?: string;
    expiresInS?: number;
  } = {},
): Promise<Buffer> {
  const b = typeof bundle === 'string' ? await openBundleDir(bundle) : bundle;
  const d = desiredFor(b, {
    fleet: o.fleet ?? FLEET,
    ...(o.device ? { device: o.device } : {}),
    seq: o.seq ?? nextSeq(),
    sources: { ...(o.http ? { http: o.http } : {}), ...(o.mqtt ? { mqtt: true } : {}) },
    ...(o.rollback ? { rollback: true } : {}),
    ...(o.expiresInS !== undefined ? { expiresInS: o.expiresInS } : {}),
  });
  return encodeDesired(d, o.key ?? (o.rollback ? fx.keys.rollback : fx.keys.operator));
}

/** A desired state written by hand (for forged and malformed ones). */
export function rawDesired(fields: Partial<DesiredState> & Pick<DesiredState, 'bundle'>, key: KeyObject): Buffer {
  const d: DesiredState = {
    format: DESIRED_FORMAT,
    formatVersion: 1,
    fleet: FLEET,
    seq: nextSeq(),
    issuedAt: new Date().toISOString(),
    sources: {},
    ...fields,
  };
  return encodeDesired(d, key);
}

/** A simulated device: filesystem slot store, onnxruntime host, agent. */
export interface TestDevice {
  root: string;
  store: FsSlotStore;
  host: OrtModelHost;
  agent: OtaAgent;
  close(): Promise<void>;
}

/** Starts a device (optionally at a slot store root a previous device used). */
export async function startDevice(
  fx: OtaFixture,
  o: { root?: string; device?: string; agent?: Partial<OtaAgentOptions> } = {},
): Promise<TestDevice> {
  const root = o.root ?? tempDir('device');
  const store = await FsSlotStore.open(root);
  const host = await OrtModelHost.create({ entries: ['optical'], threads: 1 });
  const agent = await OtaAgent.start({
    identity: { fleet: FLEET, device: o.device ?? 'd1', target: TARGET },
    store,
    host,
    trust: fx.trust,
    health: { frames: 2, latencyBudgetMs: LOADED_MACHINE_BUDGET_MS },
    warmUpFrames: 1,
    fetch: { retries: 2, retryDelayMs: 20 },
    ...(o.agent ?? {}),
  });
  return {
    root,
    store,
    host,
    agent,
    async close() {
      await agent.close();
      await host.close();
      await store.close();
    },
  };
}

/** What a frame stream saw. */
export interface StreamLog {
  results: ModelFrameResult[];
  errors: { seq: number; message: string }[];
  submitted: number;
}

/**
 * Feeds frames of `entry` to `host` continuously, keeping `inflight` frames queued so the host is
 * never idle between two frames, until `stop()`.
 */
export function startStream(
  host: OrtModelHost,
  entry = 'optical',
  inflight = 2,
): { stop(): Promise<StreamLog>; log: StreamLog } {
  const log: StreamLog = { results: [], errors: [], submitted: 0 };
  let running = true;
  let feeds: ModelFrame['feeds'] | undefined;
  const loops: Promise<void>[] = [];
  const loop = async () => {
    while (running) {
      const seq = log.submitted++;
      try {
        const r = await host.process({ seq, entry, feeds: feeds! });
        log.results.push(r);
      } catch (err) {
        log.errors.push({ seq, message: (err as Error).message });
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const spec = host.activeEntry(entry);
  if (!spec) throw new Error(`startStream: the active model has no entry ${entry}`);
  feeds = probeFeeds(spec, 42);
  for (let i = 0; i < inflight; i++) loops.push(loop());
  return {
    log,
    async stop() {
      running = false;
      await Promise.all(loops);
      return log;
    },
  };
}

/** An HTTP server that serves exactly the given bytes per sha256 (for forged bundles). */
export async function startRawServer(
  blobs: Map<string, Buffer>,
): Promise<{ url: string; close(): Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/blobs\/([0-9a-f]{64})$/.exec(req.url ?? '');
    const b = m ? blobs.get(m[1]!) : undefined;
    if (!b) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': b.length }).end(b);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** A device connected to a broker: its agent takes desired states and reports over MQTT. */
export async function startMqttDevice(
  fx: OtaFixture,
  url: string,
  device: string,
  agent: Partial<OtaAgentOptions> = {},
  linkOptions: Partial<OtaMqttLinkOptions> = {},
): Promise<TestDevice & { link: OtaMqttLink }> {
  const link = await OtaMqttLink.connect({ url, fleet: FLEET, device, chunks: { timeoutMs: 2000 }, ...linkOptions });
  const dev = await startDevice(fx, { device, agent: { ...agent, extraSources: (r) => link.sources(r) } });
  await link.attach(dev.agent);
  return {
    ...dev,
    link,
    async close() {
      await link.close();
      await dev.close();
    },
  };
}
