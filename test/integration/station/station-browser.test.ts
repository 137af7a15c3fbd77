/**
 * The station page in a real browser (the system's headless Chromium through playwright-core):
 * two devices stream through an embedded broker — drone-1 aerial frames with tracking, drone-2 a
 * georeferenced Landsat scene — and the page must show both devices with liveness, model and OTA
 * state, draw the latest frame's overlays (boxes with track ids, segmentation, depth), put the
 * footprint on the map, fill the timeline and the class counts, and update live when more frames
 * arrive. Saves a screenshot for people to look at (.cache/station.png; with UPDATE_SCREENSHOTS=1,
 * docs/images/station.png, the picture the docs show). Skips visibly without Chromium.
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { OtaTopics } from '../../../sdk/ota/fleet/topics.js';
import { createRuntime, type Runtime } from '../../../sdk/runtime/runtime.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { startStation } from '../../../tools/station/station-server.js';
import { NO_CHROMIUM, launchChromium } from '../../helpers/chromium.js';
import { REAL } from '../../fixtures/frames/index.js';
import { tinyPackage } from '../../helpers/packages.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { AERO1 } from '../runtime/frames.js';

// Tests never rewrite tracked files unless asked: the docs' picture is refreshed on purpose.
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(REPO_ROOT, 'docs', 'images', 'station.png')
    : join(REPO_ROOT, '.cache', 'station.png');

if (NO_CHROMIUM) {
  test('station page in a browser', (t) => {
    t.log(`SKIPPED: ${NO_CHROMIUM}`);
    t.pass();
  });
} else {
  test('the page shows devices, results and overlays, and updates live', async (t) => {
    const broker = await startEmbeddedBroker();
    const station = await startStation({
      broker: broker.url,
      fleet: 'north',
      port: 0,
      updateMs: 100,
      auth: { username: 'ops', password: 'pw' },
    });
    const dir = (await tinyPackage()).dir;
    const states: string[] = [];
    const runtimes: Runtime[] = [];
    const ota = await mqtt.connectAsync(broker.url);
    const chrome = await launchChromium({ httpCredentials: { username: 'ops', password: 'pw' } });
    try {
      const device = async (name: string) => {
        const state = await mkdtemp(join(tmpdir(), `station-browser-${name}-`));
        states.push(state);
        const rt = await createRuntime({
          package: dir,
          workers: 0,
          mqtt: {
            url: broker.url,
            fleet: 'north',
            device: name,
            stateDir: state,
            encoding: 'cbor',
            outboxLimits: { maxMessageBytes: 4 << 20 },
          },
          tasks: {
            detection: { scoreThreshold: 0.05 },
            depth: { includeRasters: true },
            tracking: { highThreshold: 0.05, lowThreshold: 0.05, newTrackThreshold: 0.05 },
          },
        });
        runtimes.push(rt);
        return rt;
      };
      const [drone1, drone2] = [await device('drone-1'), await device('drone-2')];
      // drone-1's OTA agent reports a download in progress (retained, as agents do).
      const report = {
        fleet: 'north',
        device: 'drone-1',
        state: 'downloading',
        transition: 'manifest-verified',
        at: new Date().toISOString(),
        current: { name: 'ringmoe-tiny', version: '1.0.0', manifest: 'a'.repeat(64) },
        target: { name: 'ringmoe-tiny', version: '1.1.0', manifest: 'b'.repeat(64) },
        progress: { blobsTotal: 10, bytesTotal: 1000, blobsNeeded: 4, bytesNeeded: 400, bytesDone: 250 },
      };
      await ota.publishAsync(new OtaTopics().state('north', 'drone-1'), JSON.stringify(report), {
        retain: true,
        qos: 1,
      });
      const optical = (i: number): Frame => ({
        id: `aero-${String(i).padStart(3, '0')}`,
        modality: 'optical',
        pixels: AERO1,
        timestamp: Date.now() + i,
      });
      const stream = async (rt: Runtime, frames: Frame[]) => {
        for await (const o of rt.run(frames)) if (!o.ok) throw new Error(`${o.frameId}: ${o.error.message}`);
      };
      await stream(drone1, [0, 1, 2].map(optical));

      const page = await chrome.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(station.url);
      const card = page.locator('#devices li[data-device="drone-1"]');
      await card.waitFor({ timeout: 30_000 });
      await page.locator('#frame[data-frame="aero-002"]').waitFor({ timeout: 30_000 });
      t.is(await card.getAttribute('data-online'), 'true');
      t.regex(await card.locator('.model').innerText(), /model ringmoe-tiny@/);
      t.regex(
        await card.locator('.ota').innerText(),
        /OTA downloading · running ringmoe-tiny@1\.0\.0 → ringmoe-tiny@1\.1\.0/,
      );
      const frame = page.locator('#frame');
      t.true(Number(await frame.getAttribute('data-boxes')) > 0);
      const overlays = (await frame.getAttribute('data-overlays'))!.split(',');
      for (const o of ['detection', 'segmentation', 'depth'])
        t.true(overlays.includes(o), `overlay ${o} in ${overlays}`);
      t.regex(await page.locator('#frame-info').innerText(), /aero-002 · optical · 640×480/);
      // The overlays are really drawn: many distinct colours on the frame canvas.
      // (A string, evaluated in the page: this file is type-checked without the DOM library.)
      const colours = (await page.evaluate(`(() => {
        const c = document.querySelector('#frame');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 16) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        return seen.size;
      })()`)) as number;
      t.true(colours > 50, `${colours} colours on the frame canvas`);
      t.true((await page.locator('#classes li[data-label]').count()) > 0);
      t.true((await page.locator('#timeline li[data-kind="frame"]').count()) >= 3);
      t.true((await page.locator('#timeline li[data-kind="birth"]').count()) >= 1);
      t.is(await page.locator('#link').innerText(), 'live');

      // A change result (drone-1's change entry on a before/after pair) is drawn as a mask overlay.
      await drone1.change(
        { id: 'change-000', modality: 'optical', pixels: AERO1, timestamp: Date.now() },
        { id: 'change-001', modality: 'optical', pixels: AERO1, timestamp: Date.now() + 1 },
      );
      await page.locator('#frame[data-frame="change-000"]').waitFor({ timeout: 30_000 });
      t.true((await frame.getAttribute('data-overlays'))!.split(',').includes('change'));
      t.regex(await page.locator('#legend').innerText(), /changed \d+\.\d%/);

      // Live: drone-2 appears with a georeferenced frame (footprint on the map); drone-1 moves on.
      await stream(drone2, [
        {
          id: 'olinda-000',
          modality: 'multispectral',
          pixels: REAL.olinda,
          sensor: 'landsat7-etm',
          timestamp: Date.now(),
        },
      ]);
      await stream(drone1, [3, 4].map(optical));
      await page.locator('#devices li[data-device="drone-2"]').waitFor({ timeout: 30_000 });
      await page.locator('#map[data-footprints="1"]').waitFor({ timeout: 30_000 });
      await page.locator('#frame[data-frame="aero-004"]').waitFor({ timeout: 30_000 });
      t.regex(await page.locator('#map-info').innerText(), /1 footprint/);
      t.regex(await page.locator('#kpi-devices').innerText(), /^2 \/ 2$/);
      // Selecting drone-2 draws its frame (the Landsat scene's size).
      await page.locator('#devices li[data-device="drone-2"]').click();
      await page.locator('#frame[data-frame="olinda-000"]').waitFor({ timeout: 10_000 });
      t.regex(await page.locator('#frame-info').innerText(), /olinda-000 · multispectral · 349×352 · EPSG:31985/);
      await page.locator('#devices li[data-device="drone-1"]').click();
      await page.locator('#frame[data-frame="aero-004"]').waitFor({ timeout: 10_000 });
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      t.log(`screenshot: ${SCREENSHOT}`);
      t.deepEqual(errors, []);
    } finally {
      await chrome.close();
      await ota.endAsync();
      for (const rt of runtimes) await rt.close({ deadlineMs: 2000 });
      await station.close();
      await broker.close();
      for (const s of states) await rm(s, { recursive: true, force: true });
    }
  });
}
