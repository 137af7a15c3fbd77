/**
 * The station's model of a fleet, fed messages as the consumer delivers them: frames assembled from
 * their task messages, counts per class, failures and drops from device metrics (restarts
 * included), OTA reports, footprints and detections in lon/lat, depth rasters as small grids, and
 * messages of other publishers or odd shapes handled without a crash.
 */
import test from 'ava';
import type { ReceivedResult } from '../../../sdk/mqtt/consumer.js';
import { FleetView } from '../../../sdk/mqtt/fleet-view.js';
import type { MetricsPayload } from '../../../sdk/mqtt/messages.js';
import type { AgentReport } from '../../../sdk/ota/agent/agent-states.js';
import { StationState } from '../../../tools/station/station-state.js';

let now = 1_000_000;
const clock = () => now;

function msg(
  device: string,
  frameId: string,
  task: string,
  result: unknown,
  extra: Record<string, unknown> = {},
): ReceivedResult {
  return {
    v: 1,
    type: 'result',
    fleet: 'north',
    device,
    ts: now - 20,
    id: `${frameId}/${task}`,
    task,
    frameId,
    modelVersion: 'm@1',
    result: {
      frameId,
      entry: 'optical',
      modality: 'optical',
      timestamp: 5,
      model: { name: 'm', version: '1', packageHash: 'x' },
      backend: 'onnxruntime',
      latencyMs: { preprocess: 1, queue: 0, inference: 5, postprocess: 1, total: 40 },
      frame: { width: 100, height: 50, inputs: 1, ...extra },
      result,
    },
    topic: `ringmoe/north/${device}/results/${task}`,
    receivedAt: now,
    encoding: 'json',
  };
}

function metrics(device: string, failed: number, dropped: number): MetricsPayload {
  return {
    v: 1,
    type: 'metrics',
    fleet: 'north',
    device,
    ts: now,
    metrics: { 'frames.failed': failed, 'frames.dropped': dropped, fps: 2.5 },
    outbox: { kind: 'memory', pending: 0, dropped: 0, expired: 0, rejected: 0 },
  };
}

function summary(view: FleetView) {
  return view.summary();
}

test('frames are assembled from task messages; classes counted; timeline says what each frame brought', (t) => {
  const s = new StationState('north', clock);
  const view = new FleetView('north');
  const feed = (r: ReceivedResult) => {
    view.apply(r, r.receivedAt);
    return s.result(r);
  };
  t.true(
    feed(
      msg('d1', 'f1', 'detection', {
        detections: [
          { label: 'ship', classId: 0, score: 0.9, box: [0, 0, 5, 5] },
          { label: 'ship', classId: 0, score: 0.8, box: [9, 9, 20, 20] },
        ],
      }),
    ),
  );
  t.false(feed(msg('d1', 'f1', 'classification', { top: [{ label: 'harbor', score: 0.7 }] })));
  now += 1000;
  t.true(
    feed(msg('d1', 'f2', 'detection', { detections: [{ label: 'plane', classId: 1, score: 0.9, box: [0, 0, 5, 5] }] })),
  );
  const snap = s.snapshot(summary(view));
  const d = snap.devices[0]!;
  t.is(d.frames, 2);
  t.is(d.latest!.frameId, 'f2');
  t.deepEqual(Object.keys(d.latest!.tasks), ['detection']);
  t.is(d.latest!.width, 100);
  t.deepEqual(snap.classes, { ship: 2, plane: 1 });
  t.deepEqual(d.classes, { ship: 2, plane: 1 });
  t.deepEqual(
    snap.timeline.map((e) => e.text),
    ['f2 optical: 1 detections', 'f1 optical: 2 detections, class harbor'],
  );
  t.is(snap.totals.frames, 2);
  t.is(snap.latencyMs.pipeline.p50, 40);
  t.is(snap.latencyMs.delivery.p50, 20);
});

test('failures and drops come from device metrics, counted once, across a device restart', (t) => {
  const s = new StationState('north', clock);
  s.metrics(metrics('d1', 3, 1));
  s.metrics(metrics('d1', 3, 1));
  s.metrics(metrics('d1', 5, 1));
  s.metrics(metrics('d1', 1, 0)); // restarted: counts from 0 again
  const view = new FleetView('north');
  view.apply(
    {
      v: 1,
      type: 'birth',
      fleet: 'north',
      device: 'd1',
      ts: now,
      bdSeq: 1,
      sdkVersion: '0',
      encoding: 'json',
      contentType: 'application/json',
      protocolVersion: 5,
      qos: { results: 1, state: 1, metrics: 0 },
      outbox: { kind: 'memory', pending: 0, dropped: 0, expired: 0, rejected: 0 },
    },
    now,
  );
  const snap = s.snapshot(view.summary());
  t.is(snap.devices[0]!.failed, 3 + 2 + 1);
  t.is(snap.devices[0]!.dropped, 1);
  t.is(snap.devices[0]!.fps, 2.5);
  t.deepEqual(
    snap.timeline.filter((e) => e.kind === 'failure').map((e) => e.text),
    ['1 frame(s) failed', '2 frame(s) failed', '2 frame(s) failed'],
  );
  t.deepEqual(
    snap.timeline.filter((e) => e.kind === 'drop').map((e) => e.text),
    ['1 frame(s) dropped (pipeline full)'],
  );
});

test('OTA reports set the device OTA state, progress and outcome; state changes go to the timeline', (t) => {
  const s = new StationState('north', clock);
  const base: AgentReport = {
    fleet: 'north',
    device: 'd2',
    state: 'downloading',
    transition: 'manifest-verified',
    at: 'now',
    current: { name: 'm', version: '1.0.0', manifest: 'a' },
    target: { name: 'm', version: '1.1.0', manifest: 'b' },
    progress: { blobsTotal: 2, bytesTotal: 10, blobsNeeded: 1, bytesNeeded: 8, bytesDone: 2 },
  };
  s.ota(base);
  s.ota({ ...base, progress: { ...base.progress!, bytesDone: 6 } });
  s.ota({
    ...base,
    state: 'idle',
    transition: 'committed',
    progress: undefined,
    target: undefined,
    current: base.target!,
    outcome: { result: 'installed', bundle: base.target!, at: 'now' },
  });
  const snap = s.snapshot(new FleetView('north').summary());
  t.deepEqual(snap.devices[0]!.ota, { state: 'idle', current: 'm@1.1.0', outcome: 'installed 1.1.0', at: 'now' });
  t.deepEqual(
    snap.timeline.filter((e) => e.kind === 'ota').map((e) => e.text),
    ['OTA idle (committed)', 'OTA downloading (manifest-verified)'],
  );
});

test('georeferenced frames get a lon/lat footprint, detections and track points their lon/lat; depth rasters become grids', (t) => {
  const s = new StationState('north', clock);
  const view = new FleetView('north');
  // The runtime's footprint: WGS 84, a closed GeoJSON ring.
  const footprint = {
    type: 'Polygon',
    coordinates: [
      [
        [15, 0],
        [15.009, 0],
        [15.009, -0.009],
        [15, -0.009],
        [15, 0],
      ],
    ],
  };
  const r = msg(
    'd3',
    'g1',
    'detection',
    {
      detections: [
        { label: 'ship', classId: 0, score: 0.9, box: [0, 0, 5, 5], map: { bbox: [500000, -1000, 501000, 0] } },
      ],
    },
    { crs: 'EPSG:32633', footprint },
  );
  view.apply(r, now);
  s.result(r);
  const track = msg('d3', 'g1', 'tracking', {
    tracks: [{ id: 1, history: [{ frame: 0, box: [0, 0, 5, 5], map: [500000, 0] }] }],
  });
  s.result(track);
  const depth = new Float32Array(200 * 100).map((_, i) => (i % 200) / 10);
  depth[1 * 200 + 1] = NaN; // the sample the first grid cell takes
  const dr = msg('d3', 'g1', 'depth', { width: 200, height: 100, depth, stats: {} });
  s.result(dr);
  const latest = s.snapshot(view.summary()).devices[0]!.latest!;
  t.is(latest.crs, 'EPSG:32633');
  t.is(latest.footprint!.length, 4);
  t.true(
    Math.abs(latest.footprint![0]![0] - 15) < 1e-9 && Math.abs(latest.footprint![0]![1]) < 1e-9,
    String(latest.footprint![0]),
  );
  const det = (latest.tasks.detection as { detections: { lonlat: [number, number] }[] }).detections[0]!;
  t.true(Math.abs(det.lonlat[0] - 15.0045) < 1e-3 && Math.abs(det.lonlat[1] + 0.0045) < 1e-3, String(det.lonlat));
  t.deepEqual(
    (latest.tasks.tracking as { tracks: { history: { lonlat: number[] }[] }[] }).tracks[0]!.history[0]!.lonlat,
    [15, 0],
  );
  const grid = (
    latest.tasks.depth as { depthGrid: { width: number; height: number; values: (number | null)[] }; depth?: unknown }
  ).depthGrid;
  t.is((latest.tasks.depth as { depth?: unknown }).depth, undefined);
  t.deepEqual([grid.width, grid.height], [96, 48]);
  t.is(grid.values.length, 96 * 48);
  t.is(grid.values[0], null);
  t.true(grid.values[95]! > 19);
});

test('results of other publishers (not wrapped by the runtime) and odd shapes do not break the state', (t) => {
  const s = new StationState('north', clock);
  const view = new FleetView('north');
  const plain: ReceivedResult = {
    v: 1,
    type: 'result',
    fleet: 'north',
    device: 'cam',
    ts: now,
    id: 'x1',
    task: 'detection',
    result: { detections: [{ label: 7 }, null, { classId: 3 }] },
    topic: 't',
    receivedAt: now,
    encoding: 'json',
  };
  view.apply(plain, now);
  s.result(plain);
  s.result({ ...plain, id: 'x2', task: 'weird', result: 42 });
  s.result({ ...plain, id: 'x3', task: 'detection', result: null });
  const snap = s.snapshot(view.summary());
  t.is(snap.devices[0]!.frames, 3);
  t.deepEqual(snap.classes, { '3': 1 });
  t.is(snap.devices[0]!.latest!.frameId, 'x3');
});
