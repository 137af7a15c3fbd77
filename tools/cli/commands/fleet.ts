/**
 * `ringmoe-edge fleet status --fleet f --broker url`: each device's version and OTA state.
 */
import type { AgentReport } from '../../../sdk/internal.js';
import { expectInteger } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { addBrokerOptions, readBrokerFlags } from '../broker-flags.js';
import { formatBytes } from '../../format/numbers.js';
import { table } from '../../format/table.js';

interface Result {
  fleet: string;
  devices: AgentReport[];
  /** Reports that did not verify against --trust. */
  unverified: { device: string; state: string; reason: string }[];
  /** True when reports were checked against a trust file. */
  verified: boolean;
}

export const spec: CommandSpec<Result> = {
  name: 'fleet status',
  summary: "show each device's running version, OTA state, progress and last outcome",
  examples: [
    'ringmoe-edge fleet status --fleet north --broker mqtt://broker:1883',
    'ringmoe-edge fleet status --fleet north --broker mqtt://broker:1883 --json',
    'ringmoe-edge fleet status --fleet north --broker mqtts://broker:8883 --broker-ca fleet-ca.crt --broker-cert ops.crt --broker-key ops.key --trust fleet/trust.json',
  ],
  configure(cmd) {
    cmd
      .requiredOption('--fleet <id>', 'fleet')
      .requiredOption('--broker <url>', 'MQTT broker URL')
      .option('--prefix <prefix>', 'topic prefix', 'ringmoe')
      .option('--wait <ms>', 'how long to collect reports', '1000')
      .option('--trust <file>', "the fleet's trust file: only reports signed by each device's own key count");
    addBrokerOptions(cmd);
  },
  async run(_args, o) {
    const { FleetWatcher } = await import('../../bundle/fleet-status.js');
    const waitMs = expectInteger('--wait', Number(o.wait), 0, 600_000);
    const auth = await readBrokerFlags(o, String(o.broker));
    const trust =
      o.trust === undefined
        ? undefined
        : await (await import('../../../sdk/internal.js')).TrustStore.load(String(o.trust));
    const watch = await FleetWatcher.start({
      broker: String(o.broker),
      ...(auth ? { auth } : {}),
      fleet: String(o.fleet),
      prefix: String(o.prefix),
      ...(trust ? { trust } : {}),
    });
    try {
      await new Promise((r) => setTimeout(r, waitMs));
      return {
        fleet: String(o.fleet),
        devices: watch.devices(),
        unverified: watch.unverified(),
        verified: watch.verifying,
      };
    } finally {
      await watch.close();
    }
  },
  render(r, io) {
    if (!r.verified) io.out('(no --trust: reports are not authenticated)');
    if (r.unverified.length)
      io.out(`unverified (not counted): ${r.unverified.map((u) => `${u.device} (${u.reason})`).join(', ')}`);
    if (!r.devices.length) {
      io.out(
        `no device of fleet ${r.fleet} has ${r.verified ? 'sent a verified report' : 'reported'} (is the prefix right? are the agents connected?)`,
      );
      return;
    }
    const rows = r.devices.map((d) => [
      d.device,
      d.current ? `${d.current.name}@${d.current.version}` : '-',
      d.state,
      d.target
        ? `${d.target.version}${d.progress ? ` ${formatBytes(d.progress.bytesDone)}/${formatBytes(d.progress.bytesNeeded)}` : ''}`
        : '',
      d.outcome
        ? `${d.outcome.result}${d.outcome.bundle ? ` ${d.outcome.bundle.version}` : ''}${d.outcome.code ? ` ${d.outcome.code}` : ''}`
        : '-',
      d.at,
    ]);
    io.out(table(['device', 'running', 'state', 'installing', 'last outcome', 'updated'], rows));
  },
};
