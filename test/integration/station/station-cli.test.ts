/**
 * `ringmoe-edge station` as a user runs it (the real executable): serves, stops on --timeout and
 * prints the fleet summary as JSON; flag mistakes fail with coded errors naming the flag.
 */
import test from 'ava';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { stationOptions } from '../../../tools/cli/commands/station.js';
import { runCliProcess } from '../../helpers/cli-process.js';

test('serves until --timeout, then prints the summary (--json)', async (t) => {
  const broker = await startEmbeddedBroker();
  try {
    const r = await runCliProcess([
      'station',
      '--broker',
      broker.url,
      '--fleet',
      'north',
      '--port',
      '0',
      '--timeout',
      '2',
      '--json',
    ]);
    t.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      url: string;
      stoppedBy: string;
      fleet: string;
      summary: { totals: { devices: number } };
    };
    t.regex(out.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    t.is(out.stoppedBy, 'timeout');
    t.is(out.fleet, 'north');
    t.is(out.summary.totals.devices, 0);
    t.regex(r.stderr, /station for fleet north at http:\/\/127\.0\.0\.1:\d+\/; metrics at/);
  } finally {
    await broker.close();
  }
});

test('an unreachable broker fails with E_MQTT_OFFLINE naming --broker', async (t) => {
  const r = await runCliProcess(['station', '--broker', 'mqtt://127.0.0.1:1', '--fleet', 'north', '--json']);
  t.not(r.code, 0);
  t.regex(r.stderr + r.stdout, /E_MQTT_OFFLINE/);
  t.regex(r.stderr + r.stdout, /--broker/);
});

test('flag mistakes name the flag', (t) => {
  const cases: [Record<string, unknown>, string, NodeJS.ProcessEnv?][] = [
    [{ fleet: 'x' }, '--broker'],
    [{ broker: 'mqtt://h', fleet: 'x', port: '99999' }, '--port'],
    [{ broker: 'mqtt://h', fleet: 'x', authUser: 'ops' }, '--auth-password'],
    [{ broker: 'mqtt://h', fleet: 'x', tlsKey: 'k.pem' }, '--tls-cert'],
    [{ broker: 'mqtt://h', fleet: 'x', tlsKey: '/nonexistent/k.pem', tlsCert: '/nonexistent/c.pem' }, '--tls-key'],
  ];
  for (const [o, field, env] of cases) {
    const e = t.throws(() => stationOptions(o, env ?? {})) as unknown as { field?: string };
    t.is(e.field, field, JSON.stringify(o));
  }
  t.deepEqual(
    stationOptions({ broker: 'mqtt://h', fleet: 'x', authUser: 'ops' }, { RINGMOE_STATION_PASSWORD: 'pw' }).auth,
    { username: 'ops', password: 'pw' },
  );
});
