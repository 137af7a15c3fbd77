/**
 * `ringmoe-edge subscribe`: a ground-station view of one fleet. Prints results as they arrive,
 * stops after --count results, --timeout seconds or Ctrl-C, then prints a fleet summary.
 */
import type { Command } from 'commander';
import { EdgeError, isEdgeError } from '../../../sdk/internal.js';
import { invalidOption } from '../../../sdk/internal.js';
import { FleetConsumer, type ReceivedResult } from '../../../sdk/internal.js';
import type { FleetSummary } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { addBrokerOptions, readBrokerFlags } from '../broker-flags.js';
import { type CommandIO } from '../io.js';
import { table } from '../../format/table.js';
import { unverifiedText } from '../fleet-summary-text.js';

/** At most this many results are kept for the JSON output. */
const MAX_KEPT = 10_000;

/** One result as printed. */
export interface SubscribedResult {
  device: string;
  task: string;
  id: string;
  ts: number;
  frameId?: string;
  modelVersion?: string;
  /** With --trust: the id of the device key that signed it. */
  keyId?: string;
  result: unknown;
}

/** What `subscribe` returns (the `--json` output). */
export interface SubscribeResult {
  broker: string;
  fleet: string;
  group?: string;
  protocolVersion: 4 | 5;
  stoppedBy: 'count' | 'timeout' | 'signal';
  received: number;
  results: SubscribedResult[];
  /** True when more than 10000 results arrived and only the first were kept. */
  resultsTruncated: boolean;
  /** True with --trust: every result listed was signed by its device's own key; the rest are counted in summary.totals.unverified. */
  verified: boolean;
  summary: FleetSummary;
}

function positiveInteger(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw invalidOption(flag, 'a whole number >= 1', value);
  return n;
}

function positiveSeconds(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw invalidOption(flag, 'a number of seconds > 0', value);
  return n;
}

function required(flag: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'this option is required', {
      field: flag,
      hint: 'e.g. ringmoe-edge subscribe --broker mqtt://localhost:1883 --fleet north',
    });
  }
  return value;
}

function protocolOf(value: unknown): 'auto' | 4 | 5 {
  if (value === undefined || value === 'auto') return 'auto';
  if (value === '5') return 5;
  if (value === '4' || value === '3.1.1') return 4;
  throw invalidOption('--protocol', '"auto", "5" or "4"', value);
}

const FLAG_OF: Record<string, string> = {
  'options.url': '--broker',
  'options.fleet': '--fleet',
  'options.group': '--group',
  'options.prefix': '--prefix',
  'options.protocol': '--protocol',
};

/** Re-names an SDK option in an error after the CLI flag the user typed. */
function asFlagError(err: EdgeError): EdgeError {
  const flag = FLAG_OF[err.field!];
  if (!flag) return err;
  const body = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field!.length + 2) : err.message;
  const renamed = Object.entries(FLAG_OF).reduce((text, [option, f]) => text.split(option).join(f), body);
  return new EdgeError(err.code, renamed, {
    field: flag,
    ...(err.hint !== undefined ? { hint: err.hint } : {}),
    cause: err,
  });
}

function short(value: unknown, max = 80): string {
  const text = JSON.stringify(value, (_k, v: unknown) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView)
      ? `<${v.constructor.name} ${(v as unknown as ArrayLike<number>).length}>`
      : v,
  );
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

async function run(_args: string[], options: Record<string, unknown>, io: CommandIO): Promise<SubscribeResult> {
  const broker = required('--broker', options.broker);
  const fleet = required('--fleet', options.fleet);
  const count = positiveInteger('--count', options.count);
  const timeout = positiveSeconds('--timeout', options.timeout);
  const group = options.group as string | undefined;
  const auth = await readBrokerFlags(options, broker);
  const trust =
    options.trust === undefined
      ? undefined
      : await (await import('../../../sdk/internal.js')).TrustStore.load(String(options.trust));
  let consumer: FleetConsumer;
  try {
    consumer = await FleetConsumer.create({
      ...(trust ? { trust } : {}),
      url: broker,
      ...(auth ?? {}),
      fleet,
      protocol: protocolOf(options.protocol),
      ...(group !== undefined ? { group } : {}),
      ...(options.prefix !== undefined ? { prefix: options.prefix as string } : {}),
    });
  } catch (err) {
    if (isEdgeError(err, 'E_INVALID_ARGUMENT') && err.field !== undefined) throw asFlagError(err);
    if (isEdgeError(err, 'E_MQTT_OFFLINE')) {
      throw new EdgeError('E_MQTT_OFFLINE', err.message, {
        field: '--broker',
        hint: "start a broker (mosquitto, or the demo's embedded one) or check --broker",
        cause: err,
      });
    }
    throw err;
  }
  const results: SubscribedResult[] = [];
  let received = 0;
  if (count === undefined && timeout === undefined) io.note('subscribed; stop with Ctrl-C');
  const stoppedBy = await new Promise<SubscribeResult['stoppedBy']>((resolve) => {
    const timer = timeout === undefined ? undefined : setTimeout(() => finish('timeout'), timeout * 1000);
    const onSignal = (): void => finish('signal');
    process.once('SIGINT', onSignal);
    function finish(why: SubscribeResult['stoppedBy']): void {
      if (timer) clearTimeout(timer);
      process.removeListener('SIGINT', onSignal);
      consumer.removeAllListeners('result');
      resolve(why);
    }
    consumer.on('result', (r: ReceivedResult) => {
      received++;
      if (results.length < MAX_KEPT) {
        results.push({
          device: r.device,
          task: r.task,
          id: r.id,
          ts: r.ts,
          ...(r.frameId !== undefined ? { frameId: r.frameId } : {}),
          ...(r.modelVersion !== undefined ? { modelVersion: r.modelVersion } : {}),
          ...(r.keyId !== undefined ? { keyId: r.keyId } : {}),
          result: r.result,
        });
      }
      io.out(`${time(r.receivedAt)}  ${r.device}  ${r.task}  ${r.id}  ${short(r.result)}`);
      if (count !== undefined && received >= count) finish('count');
    });
    consumer.on('birth', (b) =>
      io.note(`${b.device} online (bdSeq ${b.bdSeq}, MQTT ${b.protocolVersion === 5 ? '5' : '3.1.1'}, ${b.encoding})`),
    );
    consumer.on('death', (d, { stale }) =>
      io.note(
        `${d.device} ${stale ? `stale death ignored (bdSeq ${d.bdSeq})` : `offline (bdSeq ${d.bdSeq}${d.graceful ? ', graceful' : ''})`}`,
      ),
    );
    consumer.on('malformed', (e) => io.note(`malformed message: ${e.message}`));
    consumer.on('unverified', (u) => io.note(`unverified ${u.kind} on ${u.topic} (not counted): ${u.reason}`));
    consumer.on('offline', () => io.note('broker connection lost; reconnecting'));
  });
  const summary = await consumer.close();
  return {
    broker,
    fleet,
    ...(group !== undefined ? { group } : {}),
    protocolVersion: consumer.protocolVersion,
    stoppedBy,
    received,
    results,
    resultsTruncated: received > results.length,
    verified: trust !== undefined,
    summary,
  };
}

function render(r: SubscribeResult, io: CommandIO): void {
  io.out('');
  io.out(
    `fleet ${r.fleet} via ${r.broker} (MQTT ${r.protocolVersion === 5 ? '5' : '3.1.1'}${r.group ? `, group ${r.group}` : ''}): ${r.received} result(s), stopped by ${r.stoppedBy}`,
  );
  if (r.summary.devices.length === 0) {
    io.out('no device seen');
    return;
  }
  const rows = r.summary.devices.map((d) => [
    d.device,
    d.online === undefined ? '?' : d.online ? 'online' : 'offline',
    d.bdSeq ?? '-',
    Object.entries(d.results)
      .map(([task, n]) => `${task}:${n}`)
      .join(' ') || '-',
    d.duplicates,
    d.lastSeen ? time(d.lastSeen) : '-',
    d.latestMetrics?.outbox ? `${d.latestMetrics.outbox.pending}/${d.latestMetrics.outbox.dropped}` : '-',
  ]);
  io.out(table(['device', 'state', 'bdSeq', 'results', 'dups', 'last seen', 'outbox pend/drop'], rows));
  const t = r.summary.totals;
  const refused = Object.entries(t.refused ?? {}).map(([reason, n]) => `${n} ${reason}`);
  io.out(
    `${t.devices} device(s), ${t.online} online, ${t.results} result(s), ${t.duplicates} duplicate(s) dropped, ${t.malformed} malformed${refused.length ? `, refused: ${refused.join(', ')}` : ''}${unverifiedText(t)}`,
  );
}

/** The `subscribe` command for the CLI router. */
export const spec: CommandSpec<SubscribeResult> = {
  name: 'subscribe',
  summary: "print a fleet's results as they arrive, then a fleet summary (ground station)",
  configure(cmd: Command) {
    cmd
      .option('--broker <url>', 'broker URL, e.g. mqtt://localhost:1883 (required)')
      .option('--fleet <name>', 'fleet to subscribe to (required)')
      .option('--group <name>', 'MQTT 5 shared-subscription group: subscribers in one group split the results')
      .option('--prefix <prefix>', 'topic prefix (default ringmoe)')
      .option('--count <n>', 'stop after N results')
      .option('--timeout <seconds>', 'stop after this many seconds')
      .option('--protocol <version>', 'auto, 5 or 4 (3.1.1)', 'auto')
      .option(
        '--trust <file>',
        "the fleet's trust file: results, births, deaths and states count only when signed by the device's own key",
      );
    addBrokerOptions(cmd);
  },
  examples: [
    'ringmoe-edge subscribe --broker mqtt://localhost:1883 --fleet north',
    'ringmoe-edge subscribe --broker mqtt://emqx.local:1883 --fleet north --group gs --count 100 --json',
  ],
  run,
  render,
};
