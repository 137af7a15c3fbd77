/**
 * `ringmoe-edge run`: frames from a file, a directory and a glob through a real package, the summary
 * (human and --json), publishing to a broker, and clear errors for sources that match nothing or
 * frames whose modality cannot be told.
 */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { FleetConsumer } from '../../../sdk/mqtt/consumer.js';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { runCli } from '../../../tools/cli/cli.js';
import type { RunSummary } from '../../../tools/cli/commands/run.js';
import { createIO } from '../../../tools/cli/io.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { statlogLikePackage } from '../../helpers/statlog-package.js';
import { until } from '../mqtt/brokers.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';

/** Runs the CLI in this process, capturing stdout/stderr. */
async function inProcess(args: string[]): Promise<{ result: RunSummary; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const { result } = await runCli(args, (json) => createIO(json, stdout, stderr));
  return { result: result as RunSummary, out, err };
}

test('a JPEG file through the real executable: --json summary with per-stage latency percentiles', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const r = await cli(['run', pkg, '--source', 'examples/data/aerial/aero1.jpg', '--json']);
  t.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as RunSummary;
  t.like(s, { backend: 'onnxruntime', stoppedBy: 'end', frames: { total: 1, ok: 1, failed: 0, dropped: 0 } });
  t.deepEqual(Object.keys(s.latencyMs), ['preprocess', 'queue', 'inference', 'postprocess', 'total']);
  t.true(s.latencyMs.total!.p50 > 0);
  t.regex(s.backendSkipped.join(), /tensorrt unavailable/);
  t.like(s.results[0], { frameId: 'examples/data/aerial/aero1.jpg', ok: true, entry: 'optical' });
  t.true(s.fps > 0);
});

test('a directory: every JPEG/PNG is optical; the human summary has the stage table and counts', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const { result, out } = await inProcess(['run', pkg, '--source', 'examples/data/aerial']);
  t.deepEqual(
    result.results.map((r) => r.frameId),
    ['examples/data/aerial/aero1.jpg', 'examples/data/aerial/aero3.jpg', 'examples/data/aerial/aero_512x512_gray.png'],
  );
  t.true(result.results.every((r) => r.ok));
  t.regex(out, /3 frame\(s\) of examples\/data\/aerial through ringmoe-tiny@\w+ on onnxruntime/);
  t.regex(out, /3 ok, 0 failed, 0 dropped/);
  t.regex(out, /stage \(ms\) +p50 +p95 +p99 +max/);
  t.regex(out, /postprocess +[\d.]+/);
});

test('a glob with a sensor preset: the preset sets the modality; a frame that does not fit is listed as a failure', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const { result, out } = await inProcess([
    'run',
    pkg,
    '--source',
    'examples/data/landsat7-olinda/*.tif',
    '--sensor',
    'landsat7-etm',
    '--fit',
    'tile',
  ]);
  t.like(result.frames, { total: 2, ok: 1, failed: 1 });
  t.like(result.results[0], { frameId: 'examples/data/landsat7-olinda/L7_ETMs.tif', ok: true, entry: 'multispectral' });
  t.like(result.failures[0], {
    frameId: 'examples/data/landsat7-olinda/olinda_dem_utm25s.tif',
    stage: 'preprocess',
    code: 'E_FRAME_INVALID',
  });
  t.regex(
    out,
    /failures:\n {2}examples\/data\/landsat7-olinda\/olinda_dem_utm25s\.tif {2}preprocess {2}E_FRAME_INVALID/,
  );
  t.true(result.batches.meanInputs > 1, 'tiles batch');
});

test("the package's declared preprocessing is the default; --fit overrides it", async (t) => {
  const pkg = (await statlogLikePackage({ preprocessing: { stretch: 'none', fit: 'tile' } })).dir;
  const args = [
    'run',
    pkg,
    '--source',
    'examples/data/landsat7-olinda/L7_ETMs.tif',
    '--sensor',
    'landsat7-etm',
    '--backend',
    'onnxruntime',
  ];
  const declared = (await inProcess(args)).result;
  t.like(declared.frames, { total: 1, ok: 1 });
  const inputs = declared.batches.count * declared.batches.meanInputs;
  t.true(inputs > 100, `declared fit: tile gives hundreds of 24×24 tiles (${inputs} inputs)`);
  const resized = (await inProcess([...args, '--fit', 'resize'])).result;
  t.like(resized.batches, { count: 1, meanInputs: 1 });
});

test('--broker: every result is published; a fleet consumer receives them; the summary counts them', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const broker = await startEmbeddedBroker({ port: 0 });
  const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'cli' });
  const got = new Set<string>();
  consumer.on('result', (r) => got.add(`${r.frameId}/${r.task}`));
  try {
    const { result, out } = await inProcess([
      'run',
      pkg,
      '--source',
      'examples/data/aerial/*.jpg',
      '--broker',
      broker.url,
      '--fleet',
      'cli',
      '--device',
      'cam-2',
    ]);
    t.like(result.mqtt, { broker: broker.url, fleet: 'cli', device: 'cam-2', published: 8, unsent: 0, drained: true });
    t.regex(
      out,
      /MQTT mqtt:\/\/127\.0\.0\.1:\d+ fleet cli device cam-2: 8 result message\(s\) published, all delivered/,
    );
    await until(() => got.size === 8, 10_000, 'eight results');
    t.true(got.has('examples/data/aerial/aero3.jpg/segmentation'));
  } finally {
    await consumer.close();
    await broker.close();
  }
});

test('--device-key: every result is signed by the device key; a consumer with the trust file verifies them all', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const pair = generateKeyPairSync('ed25519');
  const keyFile = join(tempDir('cli-run-device-key'), 'device.key');
  await writeFile(keyFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  const trust = TrustStore.fromKeys([
    { publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }) as string, roles: ['device'], device: 'cam-3' },
  ]);
  const broker = await startEmbeddedBroker({ port: 0 });
  const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'cli', trust });
  const signedBy = new Set<string | undefined>();
  let results = 0;
  consumer.on('result', (r) => {
    results++;
    signedBy.add(r.keyId);
  });
  try {
    const args = ['run', pkg, '--source', 'examples/data/aerial/aero1.jpg', '--broker', broker.url, '--fleet', 'cli'];
    const { result } = await inProcess([...args, '--device', 'cam-3', '--device-key', keyFile]);
    t.like(result.mqtt, { drained: true });
    const n = result.mqtt!.published;
    t.true(n > 0);
    await until(() => results === n, 10_000, 'every signed result');
    t.deepEqual([...signedBy], [trust.list()[0]!.keyId]);
    t.like(consumer.summary().totals, { results: n, unverified: 0 });
    // Not a key: a coded error naming the flag, before anything runs.
    await t.throwsAsync(inProcess([...args, '--device-key', join(pkg, 'ringmoe.json')]), {
      code: 'E_SIGNATURE',
      message: /--device-key/,
    });
  } finally {
    await consumer.close();
    await broker.close();
  }
});

test('EXPECTED FAILURE - nothing matches --source: E_FILE_NOT_FOUND, exit 1, the hint to quote globs', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const r = await cli(['run', pkg, '--source', 'examples/data/aerial/*.bmp']);
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /error E_FILE_NOT_FOUND: --source: no frame files match examples\/data\/aerial\/\*\.bmp \(frames are \.jpg .*quote a glob/,
  );
  const missing = await cli(['run', pkg, '--source', 'no/such/dir', '--json']);
  t.is((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'E_FILE_NOT_FOUND');
});

test('BAD CALL - a TIFF without --modality, an unknown preset, a policy, and --broker without --fleet name the flag (exit 2)', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const cases: [string[], RegExp][] = [
    [
      ['--source', 'examples/data/landsat7-olinda/L7_ETMs.tif'],
      /--modality: cannot tell the modality of L7_ETMs\.tif.*pass --modality/,
    ],
    [
      ['--source', 'examples/data/aerial', '--sensor', 'landsat9'],
      /--sensor: Expected a sensor preset \(landsat4-tm, landsat5-tm/,
    ],
    [['--source', 'examples/data/aerial', '--policy', 'newest'], /--policy: Expected one of "block", "drop-oldest"/],
    [['--source', 'examples/data/aerial', '--broker', 'mqtt://localhost:1'], /--fleet: --broker needs --fleet/],
    [
      ['--source', 'examples/data/aerial', '--broker', 'http://x', '--fleet', 'f'],
      /--broker: Expected .* for --broker/,
    ],
    [['--modality', 'optical'], /--source: this option is required/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['run', pkg, ...args]);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
  }
});
