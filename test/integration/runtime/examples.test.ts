/**
 * Smoke tests of the examples: each runs briefly, from the repository root, as a user would start it.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tinyPackage } from '../../helpers/packages.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';

const exec = promisify(execFile);

async function example(path: string, args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', path, ...args], {
    cwd: REPO_ROOT,
    timeout: 240_000,
    maxBuffer: 1 << 24,
  });
  return stdout;
}

test('drone: frames → detection → MQTT on an embedded broker, every result delivered', async (t) => {
  const out = await example('examples/drone/drone.ts', [
    '--frames',
    '4',
    '--fps',
    '20',
    '--package',
    (await tinyPackage()).dir,
  ]);
  t.regex(out, /broker mqtt:\/\/127\.0\.0\.1:\d+ \(embedded\); fleet demo, device drone-1/);
  t.regex(out, /drone-1-000003 +\d+×\d+ +\d+ detection/);
  t.regex(out, /done: \d+ frames, \d+ dropped, .* result\(s\) published, all delivered/);
});

test('ground station: two simulated drones, a fleet summary with both', async (t) => {
  const out = await example('examples/ground-station/ground-station.ts', [
    '--drones',
    '2',
    '--frames',
    '3',
    '--package',
    (await tinyPackage()).dir,
  ]);
  t.regex(out, /fleet demo: 2 device\(s\), 0 online, \d+ result\(s\), 0 duplicate\(s\) dropped/);
  t.regex(out, /drone-1 +offline +3 frames/);
  t.regex(out, /drone-2 +offline +3 frames/);
});

test('vendor integration: the HTTP service answers an image with results and a truncated one with 400', async (t) => {
  const out = await example('examples/vendor-integration/server.ts', [
    '--self-test',
    '--package',
    (await tinyPackage()).dir,
  ]);
  t.regex(out, /POST aero1\.jpg → 200: 640×480, tasks classification, segmentation, detection, depth/);
  t.regex(out, /POST a truncated JPEG → 400: E_FRAME_DECODE/);
});
