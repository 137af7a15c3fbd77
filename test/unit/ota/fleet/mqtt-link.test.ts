/**
 * OtaMqttLink's timing on an injected clock: the desired-state poll (here once an hour) fires when
 * the clock says so, with no real hour passing, and stops when the link closes.
 */
import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../../sdk/core/clock.js';
import { OtaAgent } from '../../../../sdk/ota/agent/agent.js';
import { OtaMqttLink } from '../../../../sdk/ota/fleet/mqtt-link.js';
import type { ModelHost } from '../../../../sdk/ota/hosts/model-host.js';
import { MemorySlotStore } from '../../../../sdk/ota/slots/slot-store-memory.js';
import { TrustStore } from '../../../../sdk/core/signing/trust-store.js';
import { startAedes } from '../../../helpers/aedes.js';

/** Waits (real time, bounded) for a condition that depends on network round trips. */
async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

test('the desired-state poll runs on the injected clock and stops when the link closes', async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const hour = 3_600_000;
  const clock = new ManualClock(Date.UTC(2031, 0, 1));
  const host = new Proxy(
    {},
    { get: (_o, name) => () => Promise.reject(new Error(`host.${String(name)} called`)) },
  ) as ModelHost;
  const agent = await OtaAgent.start({
    identity: { fleet: 'north', device: 'drone-7', target: 'cpu-x86-64-onnxruntime' },
    store: new MemorySlotStore(),
    host,
    trust: TrustStore.fromKeys([]),
    clock,
  });
  const link = await OtaMqttLink.connect({
    url: broker.url,
    fleet: 'north',
    device: 'drone-7',
    desiredUrls: [base],
    desiredPollMs: hour,
    clock,
  });
  t.is(clock.pendingTimers, 0, 'the connect timeout ran on the clock and was cleared on connect');
  await link.attach(agent);

  // On attach: the device's own desired state, then the fleet's.
  t.true(await until(() => paths.length === 2));
  t.deepEqual(paths, ['/desired/north/drone-7', '/desired/north']);
  t.is(clock.pendingTimers, 1, 'the poll waits on the injected clock');

  // An hour of clock time (again if the first tick met the attach pull still finishing).
  for (let i = 0; i < 3 && paths.length < 4; i++) {
    clock.advance(hour);
    await until(() => paths.length >= 4, 2_000);
  }
  t.deepEqual(paths.slice(2, 4), ['/desired/north/drone-7', '/desired/north']);
  t.is(clock.pendingTimers, 1, 'the next poll is armed');

  await link.close();
  await agent.close();
  t.is(clock.pendingTimers, 0, 'closing the link cancels the poll');
});
