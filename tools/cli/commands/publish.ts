/**
 * `ringmoe-edge publish <bundle> --fleet f --key k`: serves a bundle and sets the fleet's desired
 * state; with --wait, follows the devices until each has an outcome.
 */
import type { AgentReport } from '../../../sdk/internal.js';
import type { BundleDelta } from '../../../sdk/internal.js';
import { expectInteger } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { addBrokerOptions, readBrokerFlags } from '../broker-flags.js';
import { formatBytes } from '../../format/numbers.js';
import { table } from '../../format/table.js';

interface DeviceLine {
  device: string;
  state: string;
  running?: string;
  outcome?: string;
  code?: string;
  message?: string;
}

interface Result {
  fleet: string;
  device?: string;
  topic: string;
  seq: number;
  bundle: { name: string; version: string; target: string; manifest: string };
  httpUrl?: string;
  mqttChunks: boolean;
  broker: string;
  delta?: BundleDelta;
  waited: boolean;
  complete: boolean;
  devices: DeviceLine[];
  /** Reports that did not verify against --trust (they count for nothing). */
  unverified: { device: string; state: string; reason: string }[];
  /** True when reports were checked against a trust file. */
  verified: boolean;
  bytesSent: { http: number; mqtt: number; mqttRepeated: number };
}

function line(r: AgentReport): DeviceLine {
  return {
    device: r.device,
    state: r.state,
    ...(r.current ? { running: `${r.current.name}@${r.current.version}` } : {}),
    ...(r.outcome ? { outcome: r.outcome.result } : {}),
    ...(r.outcome?.code ? { code: r.outcome.code } : {}),
    ...(r.outcome?.message ? { message: r.outcome.message } : {}),
  };
}

export const spec: CommandSpec<Result> = {
  name: 'publish',
  summary: 'serve a bundle (HTTP with resume and/or MQTT chunks) and set the signed desired state of a fleet or device',
  examples: [
    'ringmoe-edge publish out/drone-2.0.0 --fleet north --broker mqtt://broker:1883 --key keys/operator.key --http-host 0.0.0.0 --http-port 8080',
    'ringmoe-edge publish out/drone-2.1.0 --fleet north --broker mqtts://broker:8883 --broker-ca fleet-ca.crt --broker-cert ops.crt --broker-key ops.key --key keys/operator.key --trust fleet/trust.json --wait 600',
    'ringmoe-edge publish out/drone-2.1.0 --fleet north --embedded-broker 1883 --key keys/operator.key --mqtt-chunks --base out/drone-2.0.0 --wait 120 --expect 4',
  ],
  configure(cmd) {
    cmd
      .argument('<bundle>', 'signed bundle directory')
      .requiredOption('--fleet <id>', 'fleet to update')
      .option('--device <id>', 'update this device only')
      .requiredOption('--key <file>', 'private key that signs the desired state (devices trust it for "desired")')
      .option('--broker <url>', 'MQTT broker URL')
      .option('--embedded-broker [port]', 'run an MQTT broker in this process (port, default 1883)')
      .option('--prefix <prefix>', 'topic prefix', 'ringmoe')
      .option('--http-port <port>', 'blob server port (0 = any free port)', '0')
      .option('--http-host <host>', 'blob server interface', '127.0.0.1')
      .option('--http-url <url>', 'URL devices use to reach the blob server (behind NAT or DNS)')
      .option('--no-http', 'do not serve over HTTP (MQTT chunks only)')
      .option('--mqtt-chunks', 'also serve blobs in chunks over MQTT')
      .option('--rollback', 'allow devices to install this lower version (signed into the desired state)')
      .option('--seq <n>', 'desired-state sequence number (default: milliseconds since the epoch)')
      .option('--expires <seconds>', 'devices refuse the desired state after this long')
      .option('--base <bundle>', 'report the delta against the bundle the fleet runs now')
      .option(
        '--wait <seconds>',
        'follow the devices until each has an outcome, then stop serving (default: serve until interrupted)',
      )
      .option('--expect <n>', 'number of devices to wait for (default: those that report within a second)')
      .option('--trust <file>', "the fleet's trust file: only reports signed by each device's own key count");
    addBrokerOptions(cmd);
  },
  async run([dir], o, io) {
    const { EdgeError } = await import('../../../sdk/internal.js');
    const { publishBundle } = await import('../../bundle/publish.js');
    const { FleetWatcher } = await import('../../bundle/fleet-status.js');
    if (o.broker === undefined && o.embeddedBroker === undefined)
      throw new EdgeError('E_INVALID_ARGUMENT', 'publish needs --broker <url> or --embedded-broker [port]', {
        field: '--broker',
      });
    const auth = await readBrokerFlags(o, o.broker === undefined ? undefined : String(o.broker));
    if (o.broker === undefined && auth)
      throw new EdgeError('E_INVALID_ARGUMENT', 'the embedded broker speaks plain MQTT without credentials', {
        field: auth.tls ? '--broker-ca' : '--broker-user',
        hint: 'drop the --broker-* flags, or give --broker mqtts://host:port',
      });
    let broker: { url: string; close(): Promise<void> } | undefined;
    if (o.broker === undefined) {
      const { startEmbeddedBroker } = await import('../../../sdk/internal.js');
      const port =
        o.embeddedBroker === true ? 1883 : expectInteger('--embedded-broker', Number(o.embeddedBroker), 0, 65535);
      broker = await startEmbeddedBroker({ port, host: String(o.httpHost) });
      io.note(`embedded MQTT broker at ${broker.url}`);
    }
    const url = broker?.url ?? String(o.broker);
    const waitS = o.wait === undefined ? undefined : expectInteger('--wait', Number(o.wait), 1, 86_400);
    const pub = await publishBundle({
      bundleDir: dir!,
      fleet: String(o.fleet),
      ...(o.device !== undefined ? { device: String(o.device) } : {}),
      broker: url,
      ...(auth ? { auth } : {}),
      prefix: String(o.prefix),
      keyPath: String(o.key),
      http:
        o.http === false
          ? false
          : {
              port: expectInteger('--http-port', Number(o.httpPort), 0, 65535),
              host: String(o.httpHost),
              ...(o.httpUrl !== undefined ? { advertiseUrl: String(o.httpUrl) } : {}),
            },
      mqttChunks: Boolean(o.mqttChunks),
      ...(o.seq !== undefined ? { seq: expectInteger('--seq', Number(o.seq), 0) } : {}),
      ...(o.rollback ? { rollback: true } : {}),
      ...(o.expires !== undefined ? { expiresInS: expectInteger('--expires', Number(o.expires), 1) } : {}),
      ...(o.base !== undefined ? { base: String(o.base) } : {}),
    });
    const d = pub.desired;
    const m = pub.bundle.manifest;
    if (pub.delta)
      io.note(
        `delta vs ${String(o.base)}: ${pub.delta.blobsNeeded} of ${pub.delta.blobsTotal} blobs, ${formatBytes(pub.delta.bytesNeeded)} of ${formatBytes(pub.delta.bytesTotal)}`,
      );
    io.note(
      `published ${m.name}@${m.version} (seq ${d.seq}) on ${pub.topic}${pub.httpUrl ? `; blobs at ${pub.httpUrl}` : ''}${o.mqttChunks ? '; MQTT chunks on' : ''}`,
    );
    const trust =
      o.trust === undefined
        ? undefined
        : await (await import('../../../sdk/internal.js')).TrustStore.load(String(o.trust));
    if (!trust) io.note('no --trust: device reports are not authenticated; any broker client can forge them');
    const watch = await FleetWatcher.start({
      broker: pub.client,
      fleet: String(o.fleet),
      prefix: String(o.prefix),
      ...(trust ? { trust } : {}),
    });
    const answered = (r: AgentReport) =>
      r.state === 'idle' && r.outcome?.seq === d.seq && (o.device === undefined || r.device === o.device);
    let complete: boolean;
    try {
      if (waitS !== undefined) {
        let expect = o.expect === undefined ? undefined : expectInteger('--expect', Number(o.expect), 1);
        if (expect === undefined) {
          await new Promise((r) => setTimeout(r, 1000));
          expect = Math.max(1, o.device !== undefined ? 1 : watch.devices().length);
        }
        const n = expect;
        let seen = '';
        const off = watch.onChange(() => {
          const s = watch
            .devices()
            .map((r) => `${r.device}:${r.state}`)
            .join(' ');
          if (s !== seen) io.note(`  ${s}`);
          seen = s;
        });
        complete = await watch.waitFor((devs) => devs.filter(answered).length >= n, waitS * 1000);
        off();
      } else {
        const off = watch.onChange(() =>
          io.note(
            `  ${watch
              .devices()
              .map((r) => `${r.device}:${r.state}${r.outcome?.seq === d.seq ? `(${r.outcome.result})` : ''}`)
              .join(' ')}`,
          ),
        );
        io.note('serving; press Ctrl-C to stop');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        off();
        complete = watch.devices().every(answered);
      }
      const devices = watch
        .devices()
        .filter((r) => o.device === undefined || r.device === o.device)
        .map(line);
      return {
        fleet: String(o.fleet),
        ...(o.device !== undefined ? { device: String(o.device) } : {}),
        topic: pub.topic,
        seq: d.seq,
        bundle: { name: m.name, version: m.version, target: m.target, manifest: pub.bundle.manifestSha256 },
        ...(pub.httpUrl ? { httpUrl: pub.httpUrl } : {}),
        mqttChunks: Boolean(o.mqttChunks),
        broker: url,
        ...(pub.delta ? { delta: pub.delta } : {}),
        waited: waitS !== undefined,
        complete,
        devices,
        unverified: watch.unverified().filter((r) => o.device === undefined || r.device === o.device),
        verified: watch.verifying,
        bytesSent: pub.bytesSent(),
      };
    } finally {
      await watch.close();
      await pub.close();
      await broker?.close();
    }
  },
  render(r, io) {
    io.out(
      `${r.bundle.name}@${r.bundle.version} → fleet ${r.fleet}${r.device ? ` device ${r.device}` : ''} (seq ${r.seq})`,
    );
    if (r.delta)
      io.out(
        `delta: ${r.delta.blobsNeeded} of ${r.delta.blobsTotal} blobs, ${formatBytes(r.delta.bytesNeeded)} of ${formatBytes(r.delta.bytesTotal)}`,
      );
    if (r.devices.length)
      io.out(
        table(
          ['device', 'state', 'running', 'outcome', 'code'],
          r.devices.map((x) => [x.device, x.state, x.running ?? '-', x.outcome ?? '-', x.code ?? '']),
        ),
      );
    if (r.unverified.length)
      io.out(`unverified (not counted): ${r.unverified.map((u) => `${u.device} (${u.reason})`).join(', ')}`);
    io.out(
      `sent ${formatBytes(r.bytesSent.http)} over HTTP, ${formatBytes(r.bytesSent.mqtt)} over MQTT${r.waited && !r.complete ? '; not every device answered in time' : ''}`,
    );
  },
};
