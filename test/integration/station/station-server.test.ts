/**
 * The station against a real device stream: an embedded broker, a runtime (ringmoe-tiny,
 * onnxruntime) publishing georeferenced and plain frames with tracking, and the station's HTTP
 * endpoints — the state the page reads, the live server-sent events, the metrics scrape (parsed
 * strictly), basic auth, and the static page.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { createRuntime, type Runtime } from '../../../sdk/runtime/runtime.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { startStation, type Station } from '../../../tools/station/station-server.js';
import { REAL } from '../../fixtures/frames/index.js';
import { tinyPackage } from '../../helpers/packages.js';
import { parseExposition } from '../../helpers/prometheus-text.js';
import { AERO1 } from '../runtime/frames.js';

let broker: EmbeddedBroker;
let station: Station;
let rt: Runtime;
let state: string;

test.before(async () => {
  broker = await startEmbeddedBroker();
  station = await startStation({
    broker: broker.url,
    fleet: 'north',
    port: 0,
    auth: { username: 'ops', password: 's3cret' },
    updateMs: 50,
  });
  state = await mkdtemp(join(tmpdir(), 'station-test-'));
  rt = await createRuntime({
    package: (await tinyPackage()).dir,
    workers: 0,
    mqtt: { url: broker.url, fleet: 'north', device: 'drone-1', stateDir: state },
    tasks: {
      detection: { scoreThreshold: 0.05 },
      tracking: { highThreshold: 0.05, lowThreshold: 0.05, newTrackThreshold: 0.05 },
    },
  });
});
test.after.always(async () => {
  await rt?.close({ deadlineMs: 2000 });
  await station?.close();
  await broker?.close();
  if (state) await rm(state, { recursive: true, force: true });
});

const auth = { authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` };

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test.serial('the page and its data need the credentials; the page is served from the package', async (t) => {
  t.regex(station.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  t.is((await fetch(station.url)).status, 401);
  t.is(
    (
      await fetch(`${station.url}api/state`, {
        headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` },
      })
    ).status,
    401,
  );
  const page = await fetch(station.url, { headers: auth });
  t.is(page.status, 200);
  t.regex(await page.text(), /<canvas id="map"/);
  for (const f of ['station.js', 'station.css', 'world.jpg'])
    t.is((await fetch(`${station.url}assets/${f}`, { headers: auth })).status, 200, f);
  t.is((await fetch(`${station.url}assets/..%2Fstation-server.ts`, { headers: auth })).status, 404);
});

test.serial('results, liveness, footprints, tracks and metrics of a streaming device', async (t) => {
  const events = new AbortController();
  const sse = await fetch(`${station.url}events`, { headers: auth, signal: events.signal });
  t.is(sse.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = sse.body!.getReader();
  let text = '';
  const frames: Frame[] = [
    ...[0, 1, 2].map((i): Frame => ({ id: `opt-${i}`, modality: 'optical', pixels: AERO1, timestamp: Date.now() + i })),
    { id: 'olinda', modality: 'multispectral', pixels: REAL.olinda, sensor: 'landsat7-etm', timestamp: Date.now() + 5 },
  ];
  for await (const o of rt.run(frames)) t.true(o.ok, o.ok ? '' : o.error.message);
  const get = async () =>
    (await (
      await fetch(`${station.url}api/state`, { headers: auth })
    ).json()) as import('../../../tools/station/station-state.js').StationSnapshot;
  const snap = await until(
    get,
    (s) => s.devices[0]?.frames === 4 && s.devices[0].latest?.frameId === 'olinda' && s.devices[0].online === true,
    'four frames of drone-1',
  );
  const d = snap.devices[0]!;
  t.is(d.device, 'drone-1');
  t.is(d.modelVersion, `${rt.model.name}@${rt.model.version}`);
  t.is(d.latest!.crs, 'EPSG:31985');
  // Olinda, Pernambuco (Brazil): about 34.8° W, 8.0° S.
  const [lon, lat] = d.latest!.footprint![0]!;
  t.true(Math.abs(lon + 34.85) < 0.3 && Math.abs(lat + 8.0) < 0.3, `footprint corner ${lon}, ${lat}`);
  t.true(snap.timeline.some((e) => e.kind === 'frame' && e.text.startsWith('opt-1')));
  t.true(snap.timeline.some((e) => e.kind === 'birth'));
  t.true(Object.values(snap.classes).reduce((a, b) => a + b, 0) > 0);
  t.true(snap.totals.frames === 4);
  // Live updates reached the open event stream.
  while (!text.includes('"olinda"')) text += new TextDecoder().decode((await reader.read()).value);
  t.regex(text, /^retry: 2000\nevent: snapshot\ndata: \{/);
  events.abort();

  const res = await fetch(`${station.url}metrics`, { headers: auth });
  t.is(res.status, 200);
  const s = parseExposition(await res.text());
  t.is(s.value('ringmoe_station_frames_total', { device: 'drone-1' }), 4);
  t.is(s.value('ringmoe_station_device_online', { device: 'drone-1' }), 1);
  t.is(s.value('ringmoe_station_mqtt_connected'), 1);
  t.is(s.value('ringmoe_station_frame_latency_seconds_count', { device: 'drone-1' }), 4);
  t.true(s.value('ringmoe_station_results_total', { device: 'drone-1', task: 'tracking' })! >= 3);
  t.is(
    s.value('ringmoe_station_device_model_info', { device: 'drone-1', model: `${rt.model.name}@${rt.model.version}` }),
    1,
  );
});

test.serial('bad options are refused with coded errors before anything starts', async (t) => {
  for (const [o, field] of [
    [{ broker: '', fleet: 'x' }, 'options.broker'],
    [{ broker: broker.url, fleet: 'x', port: 70000 }, 'options.port'],
    [{ broker: broker.url, fleet: 'x', auth: { username: 'a', password: '' } }, 'options.auth'],
  ] as const) {
    const e = await t.throwsAsync(startStation(o as never));
    t.is((e as { code?: string }).code, 'E_INVALID_ARGUMENT');
    t.is((e as { field?: string }).field, field);
  }
});

test.serial('with TLS the page is served over HTTPS only (a self-signed certificate made by openssl)', async (t) => {
  let openssl = true;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    openssl = false;
  }
  if (!openssl) {
    t.log('SKIPPED: no openssl to make a certificate');
    t.pass();
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'station-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    const tls = await startStation({
      broker: broker.url,
      fleet: 'north',
      port: 0,
      tls: { key: readFileSync(join(dir, 'key.pem')), cert },
    });
    try {
      t.regex(tls.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
      const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        get(`${tls.url}api/state`, { ca: cert }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        }).on('error', reject);
      });
      t.is(body.status, 200);
      t.is((JSON.parse(body.text) as { fleet: string }).fleet, 'north');
      await t.throwsAsync(fetch(tls.url.replace('https:', 'http:')));
    } finally {
      await tls.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
