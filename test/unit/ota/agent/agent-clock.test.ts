import test from 'ava';
import { ManualClock } from '../../../../sdk/core/clock.js';
import { OtaAgent } from '../../../../sdk/ota/agent/agent.js';
import type { OtaAgentOptions } from '../../../../sdk/ota/agent/agent-options.js';
import type { ModelHost } from '../../../../sdk/ota/hosts/model-host.js';
import { MemorySlotStore } from '../../../../sdk/ota/slots/slot-store-memory.js';
import { TrustStore } from '../../../../sdk/core/signing/trust-store.js';

/** A device with nothing installed: recovery never asks the host for anything. */
function options(over: Partial<OtaAgentOptions> = {}): OtaAgentOptions {
  const host = new Proxy(
    {},
    { get: (_o, name) => () => Promise.reject(new Error(`host.${String(name)} called`)) },
  ) as ModelHost;
  return {
    identity: { fleet: 'north', device: 'drone-7', target: 'cpu-x86-64-onnxruntime' },
    store: new MemorySlotStore(),
    host,
    trust: TrustStore.fromKeys([]),
    ...over,
  };
}

test('the agent stamps its records and outcomes with the injected clock', async (t) => {
  const start = Date.UTC(2031, 4, 6, 7, 8, 9);
  const clock = new ManualClock(start);
  const store = new MemorySlotStore();
  const agent = await OtaAgent.start(options({ clock, store }));
  t.is(agent.state, 'idle');
  t.is(agent.report().at, new Date(start).toISOString());
  t.is(((await store.readRecord()) as { at: string }).at, new Date(start).toISOString());

  clock.advance(90_000);
  const out = await agent.handleDesired(new TextEncoder().encode('not a desired state'));
  t.is(out.result, 'rejected');
  t.is(out.at, new Date(start + 90_000).toISOString());
  t.is(agent.report().at, new Date(start + 90_000).toISOString());
  await agent.close();
});

test('an explicit now() still wins over the clock for timestamps', async (t) => {
  const agent = await OtaAgent.start(options({ clock: new ManualClock(0), now: () => new Date(Date.UTC(2040, 0, 1)) }));
  t.is(agent.report().at, '2040-01-01T00:00:00.000Z');
  await agent.close();
});

test('a clock that is not a Clock is refused with a coded error naming the option', async (t) => {
  const err = await t.throwsAsync(OtaAgent.start(options({ clock: { now: () => 0 } as never })));
  t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
  t.regex(err!.message, /options\.clock/);
});
