import test from 'ava';
import { FleetView } from '../../../sdk/mqtt/fleet-view.js';
import type { BirthPayload, DeathPayload, ResultPayload } from '../../../sdk/mqtt/messages.js';

const birth = (bdSeq: number, device = 'd1'): BirthPayload => ({
  v: 1,
  type: 'birth',
  fleet: 'f',
  device,
  ts: 1000 + bdSeq,
  bdSeq,
  sdkVersion: '0.1.0',
  encoding: 'json',
  contentType: 'application/json',
  protocolVersion: 5,
  qos: { results: 1, state: 1, metrics: 0 },
  outbox: { kind: 'file', pending: 0, dropped: 0, expired: 0, rejected: 0 },
});
const death = (bdSeq: number, graceful = false, device = 'd1'): DeathPayload => ({
  v: 1,
  type: 'death',
  fleet: 'f',
  device,
  ts: 2000 + bdSeq,
  bdSeq,
  graceful,
});
const result = (id: string, task = 'detection', device = 'd1'): ResultPayload => ({
  v: 1,
  type: 'result',
  fleet: 'f',
  device,
  task,
  ts: 1,
  id,
  result: { id },
});

test('bdSeq: a death counts only for the current birth, in whatever order they arrive', (t) => {
  const orders: [string, (BirthPayload | DeathPayload)[], boolean, number][] = [
    ['live: birth 3, death 3', [birth(3), death(3)], false, 0],
    ['retained, death first: death 3, birth 3', [death(3), birth(3)], false, 0],
    ['reconnect: birth 3, death 3, birth 4', [birth(3), death(3), birth(4)], true, 0],
    ['stale death after new birth: birth 4, death 3', [birth(4), death(3)], true, 1],
    ['retained pair after reconnect: death 3, birth 4', [death(3), birth(4)], true, 0],
    [
      'birth re-delivered after its death: birth 4, death 4, death 3 (late), birth 4',
      [birth(4), death(4), death(3), birth(4)],
      false,
      1,
    ],
    ['device restarted with lost state: birth 9, death 9, birth 0', [birth(9), death(9), birth(0)], true, 0],
  ];
  for (const [name, msgs, online, stale] of orders) {
    const v = new FleetView('f');
    msgs.forEach((m, i) => v.apply(m, 100 + i));
    const d = v.summary().devices[0]!;
    t.is(d.online, online, name);
    t.is(d.staleDeaths, stale, name);
  }
});

test('results are counted per task; a repeated id from the same device is a duplicate, from another device it is not', (t) => {
  const v = new FleetView('f');
  t.deepEqual(v.apply(result('a'), 1), { kind: 'result', duplicate: false });
  t.deepEqual(v.apply(result('b', 'segmentation'), 2), { kind: 'result', duplicate: false });
  t.deepEqual(v.apply(result('a'), 3), { kind: 'result', duplicate: true });
  t.deepEqual(v.apply(result('a', 'detection', 'd2'), 4), { kind: 'result', duplicate: false });
  const s = v.summary();
  t.deepEqual(
    s.devices.map((d) => [d.device, d.results, d.duplicates, d.lastSeen]),
    [
      ['d1', { detection: 1, segmentation: 1 }, 1, 3],
      ['d2', { detection: 1 }, 0, 4],
    ],
  );
  t.like(s.totals, { devices: 2, results: 3, duplicates: 1, online: 0 });
});

test('the dedupe window forgets the oldest ids beyond its capacity', (t) => {
  const v = new FleetView('f', 2);
  v.apply(result('a'), 1);
  v.apply(result('b'), 2);
  v.apply(result('c'), 3);
  t.deepEqual(v.apply(result('c'), 4), { kind: 'result', duplicate: true });
  t.deepEqual(v.apply(result('a'), 5), { kind: 'result', duplicate: false }, 'a was forgotten');
});

test('latest metrics keep the newest sample even when an older one arrives later', (t) => {
  const v = new FleetView('f');
  const m = (ts: number, fps: number) => ({
    v: 1 as const,
    type: 'metrics' as const,
    fleet: 'f',
    device: 'd1',
    ts,
    metrics: { fps },
    outbox: { kind: 'file', pending: 0, dropped: 0, expired: 0, rejected: 0 },
  });
  v.apply(m(20, 2), 1);
  v.apply(m(10, 1), 2);
  t.deepEqual(v.summary().devices[0]!.latestMetrics?.metrics, { fps: 2 });
});

test('olderBirth: only a birth older on both counts (time and bdSeq) is a copy of an old one; a restart moves one forward', (t) => {
  const view = new FleetView('north');
  view.apply({ ...birth(5), ts: 1000 }, 1000);
  t.true(view.olderBirth('d1', 900, 4), 'an old birth replayed');
  t.true(view.olderBirth('d1', 900, 5), 'the current birth, an earlier copy');
  t.false(view.olderBirth('d1', 900, 6), 'the clock went back, the persisted bdSeq moved on');
  t.false(view.olderBirth('d1', 1100, 0), 'bdSeq restarted from 0 (no stateDir), the clock moved on');
  t.false(view.olderBirth('d2', 0, 0), 'a device without a birth yet');
  view.unverifiedMessage('result');
  view.unverifiedMessage('result');
  view.unverifiedMessage('death');
  t.like(view.summary().totals, { unverified: 3, unverifiedByKind: { result: 2, death: 1 } });
});
