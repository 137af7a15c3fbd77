/**
 * `ringmoe-edge station`: the ground station's web page. Subscribes to a fleet and serves a live
 * view (devices, latest results drawn over the frame, a map, a timeline, counts, throughput) and
 * Prometheus metrics until Ctrl-C or --timeout; then prints the fleet summary.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EdgeError, isEdgeError } from '../../../sdk/internal.js';
import { invalidOption } from '../../../sdk/internal.js';
import type { FleetSummary } from '../../../sdk/internal.js';
import { startStation, type StationOptions } from '../../station/station-server.js';
import type { CommandSpec } from '../command.js';
import { addBrokerOptions, readBrokerFlags } from '../broker-flags.js';
import { type CommandIO } from '../io.js';
import { table } from '../../format/table.js';
import { unverifiedText } from '../fleet-summary-text.js';

/** What `station` returns (the `--json` output). */
export interface StationResult {
  url: string;
  broker: string;
  fleet: string;
  stoppedBy: 'timeout' | 'signal';
  summary: FleetSummary;
}

function need(flag: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'this option is required', {
      field: flag,
      hint: 'e.g. ringmoe-edge station --broker mqtt://localhost:1883 --fleet north',
    });
  }
  return value;
}

function readPem(flag: string, path: unknown): Buffer {
  try {
    return readFileSync(String(path));
  } catch (err) {
    throw new EdgeError('E_FILE_NOT_FOUND', `cannot read ${String(path)}: ${(err as Error).message}`, {
      field: flag,
      cause: err,
    });
  }
}

/** The station options the flags ask for. */
export function stationOptions(o: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): StationOptions {
  const port = o.port === undefined ? undefined : Number(o.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw invalidOption('--port', 'a TCP port (0–65535)', o.port);
  const user = o.authUser as string | undefined;
  const password = (o.authPassword as string | undefined) ?? env.RINGMOE_STATION_PASSWORD;
  if ((user === undefined) !== (password === undefined)) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'basic auth needs both a user and a password', {
      field: user === undefined ? '--auth-user' : '--auth-password',
      hint: 'give --auth-user and --auth-password (or RINGMOE_STATION_PASSWORD)',
    });
  }
  if ((o.tlsKey === undefined) !== (o.tlsCert === undefined)) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'TLS needs both a key and a certificate', {
      field: o.tlsKey === undefined ? '--tls-key' : '--tls-cert',
    });
  }
  return {
    broker: need('--broker', o.broker),
    fleet: need('--fleet', o.fleet),
    ...(o.prefix !== undefined ? { prefix: String(o.prefix) } : {}),
    ...(o.host !== undefined ? { host: String(o.host) } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(user !== undefined ? { auth: { username: user, password: password! } } : {}),
    ...(o.tlsKey !== undefined
      ? { tls: { key: readPem('--tls-key', o.tlsKey), cert: readPem('--tls-cert', o.tlsCert) } }
      : {}),
  };
}

async function run(_args: string[], options: Record<string, unknown>, io: CommandIO): Promise<StationResult> {
  const o = stationOptions(options);
  const brokerAuth = await readBrokerFlags(options, o.broker);
  if (brokerAuth) o.brokerAuth = brokerAuth;
  if (options.trust !== undefined)
    o.trust = await (await import('../../../sdk/internal.js')).TrustStore.load(String(options.trust));
  const timeout = options.timeout === undefined ? undefined : Number(options.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
    throw invalidOption('--timeout', 'a number of seconds > 0', options.timeout);
  let station;
  try {
    station = await startStation(o);
  } catch (err) {
    if (isEdgeError(err, 'E_MQTT_OFFLINE'))
      throw new EdgeError('E_MQTT_OFFLINE', err.message, {
        field: '--broker',
        hint: "start a broker (mosquitto, or the demo's embedded one) or check --broker",
        cause: err,
      });
    if (isEdgeError(err) && err.field === 'options.port')
      throw new EdgeError(err.code, err.message.replace(/^options\.port: /, ''), {
        field: '--port',
        ...(err.hint ? { hint: err.hint } : {}),
        cause: err,
      });
    throw err;
  }
  io.note(
    `station for fleet ${o.fleet} at ${station.url}${o.auth ? ' (basic auth)' : ''}; metrics at ${station.url}metrics; stop with Ctrl-C`,
  );
  if (o.host !== undefined && o.host !== '127.0.0.1' && o.host !== 'localhost' && !o.auth)
    io.note(`warning: serving on ${o.host} without --auth-user: anyone who can reach this port sees the fleet`);
  const stoppedBy = await new Promise<StationResult['stoppedBy']>((resolve) => {
    const timer = timeout === undefined ? undefined : setTimeout(() => finish('timeout'), timeout * 1000);
    const onSignal = (): void => finish('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    function finish(why: StationResult['stoppedBy']): void {
      if (timer) clearTimeout(timer);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      resolve(why);
    }
  });
  const summary = await station.close();
  return { url: station.url, broker: o.broker, fleet: o.fleet, stoppedBy, summary };
}

function render(r: StationResult, io: CommandIO): void {
  io.out(`station ${r.url} for fleet ${r.fleet} via ${r.broker}: stopped by ${r.stoppedBy}`);
  if (!r.summary.devices.length) {
    io.out('no device seen');
    return;
  }
  io.out(
    table(
      ['device', 'state', 'model', 'results', 'dups'],
      r.summary.devices.map((d) => [
        d.device,
        d.online === undefined ? '?' : d.online ? 'online' : 'offline',
        d.modelVersion ?? '-',
        Object.entries(d.results)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ') || '-',
        d.duplicates,
      ]),
    ),
  );
  const t = r.summary.totals;
  io.out(
    `${t.devices} device(s), ${t.online} online, ${t.results} result(s), ${t.duplicates} duplicate(s) dropped, ${t.malformed} malformed${unverifiedText(t)}`,
  );
}

/** The `station` command for the CLI router. */
export const spec: CommandSpec<StationResult> = {
  name: 'station',
  summary:
    'serve a live web page of a fleet (devices, results over the frame, map, timeline) and its Prometheus metrics',
  configure(cmd: Command) {
    cmd
      .option('--broker <url>', 'broker URL, e.g. mqtt://localhost:1883 (required)')
      .option('--fleet <name>', 'fleet to show (required)')
      .option('--prefix <prefix>', 'topic prefix (default ringmoe)')
      .option('--host <address>', 'interface to serve on (default 127.0.0.1; 0.0.0.0 for every interface)')
      .option('--port <n>', 'HTTP port (default 8750; 0 for a free one)')
      .option(
        '--auth-user <name>',
        'ask browsers for this user (basic auth; password from --auth-password or RINGMOE_STATION_PASSWORD)',
      )
      .option('--auth-password <password>', 'basic-auth password')
      .option('--tls-key <file>', 'serve HTTPS with this PEM key')
      .option('--tls-cert <file>', 'and this PEM certificate')
      .option('--timeout <seconds>', 'stop after this many seconds')
      .option(
        '--trust <file>',
        "the fleet's trust file: results, births, deaths and OTA reports count only when signed by the device's own key",
      );
    addBrokerOptions(cmd);
  },
  examples: [
    'ringmoe-edge station --broker mqtt://localhost:1883 --fleet north',
    'ringmoe-edge station --broker mqtt://broker:1883 --fleet north --host 0.0.0.0 --auth-user ops --tls-key key.pem --tls-cert cert.pem',
  ],
  run,
  render,
};
