import test from 'ava';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { calibratePackage } from '../../../tools/calibrate/calibrate.js';
import { generatedFrames, resolveFrames } from '../../../tools/frames/frame.js';
import { writeNpy } from '../../../tools/frames/npy.js';
import { stageGeometry, namedConfig } from '../../../tools/ringmoe/config.js';
import { Rng } from '../../../tools/frames/seeded.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { REPO_ROOT, sharedData, testIf } from '../../helpers/shared-data.js';
import { pruneTo } from '../prune/helpers.js';

const code = (e: unknown) => (e as { code?: string }).code;

async function copyOfTiny(): Promise<string> {
  const dir = join(tempDir('cal'), 'pkg');
  cpSync((await tinyPackage()).dir, dir, { recursive: true });
  return dir;
}

/** `n` preprocessed optical tensors [3, 64, 64] saved as .npy files. */
async function npyFrames(n: number, channels = 3): Promise<string> {
  const dir = tempDir('frames');
  for (let i = 0; i < n; i++) {
    const rng = new Rng(i, 'frame');
    await writeNpy(
      join(dir, `frame-${i}.npy`),
      [channels, 64, 64],
      Float32Array.from({ length: channels * 64 * 64 }, () => rng.normal()),
    );
  }
  writeFileSync(join(dir, 'notes.txt'), 'not a frame');
  return dir;
}

test('calibrate counts every token of every router: per block, counts sum to frames × tokens at that stage', async (t) => {
  const dir = await copyOfTiny();
  const frames = await resolveFrames(await npyFrames(5));
  t.is(frames.length, 5, 'only .npy files are frames');
  const r = await calibratePackage({ dir, frames, modalities: ['optical'], batch: 2 });
  t.is(r.file, join(dir, 'routing-stats.json'));
  const s = r.stats.modalities.optical!;
  t.is(s.entry, 'optical');
  t.deepEqual(
    s.frames.map((f) => f.source),
    ['real', 'real', 'real', 'real', 'real'],
  );
  const geo = stageGeometry(namedConfig('ringmoe-tiny'));
  for (const [id, b] of Object.entries(s.blocks)) {
    const g = geo[Number(id[1]) - 1]!;
    t.is(b.tokens, 5 * g.height * g.width, id);
    for (const [router, rc] of Object.entries(b.routers)) {
      const sum = rc.counts.reduce((a, c) => a + c, 0);
      t.is(sum, router.includes('.modal.') && !router.endsWith('.optical') ? 0 : b.tokens, `${router}`);
    }
  }
  // beside the package, not part of it; no temporary graph left behind
  const pkg = await openPackage(dir);
  t.false('routing-stats.json' in pkg.manifest.files);
  t.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('.')),
    [],
  );
  t.is(r.stats.package.sha256, pkg.packageHash);
});

test('calibrate on real images (examples/data/aerial) preprocessed by sdk/sensors: recorded as real, tiles count as model inputs', async (t) => {
  const dir = await copyOfTiny();
  const frames = await resolveFrames(join(REPO_ROOT, 'examples/data/aerial/aero*.jpg'), '--frames', { fit: 'tile' });
  t.deepEqual(
    frames.map((f) => f.id.split('/').pop()),
    ['aero1.jpg', 'aero3.jpg'],
  );
  const r = await calibratePackage({ dir, frames, modalities: ['optical'], batch: 16 });
  const s = r.stats.modalities.optical!;
  t.deepEqual(
    s.frames.map((f) => [f.id.split('/').pop(), f.source]),
    [
      ['aero1.jpg', 'real'],
      ['aero3.jpg', 'real'],
    ],
  );
  t.true(s.inputs! > 2 * 50, `${s.inputs} tiles of 64×64 from two 640×480 photos`);
  t.is(s.blocks['s1.b0']!.tokens, s.inputs! * 16 * 16);
});

testIf(sharedData('sar/pyepr_envisat_asar/asar_imp_20060202_palm_jumeirah_470x470_gray.png') !== undefined, test)(
  'calibrate SAR-L2 on the real ENVISAT ASAR frame from ../shared/data',
  async (t) => {
    const dir = await copyOfTiny();
    const frames = await resolveFrames(
      sharedData('sar/pyepr_envisat_asar/asar_imp_20060202_palm_jumeirah_470x470_gray.png')!,
      '--frames',
      { sensor: 'sar-l2-amplitude' },
    );
    const r = await calibratePackage({ dir, frames, modalities: ['sar-l2'] });
    const collab = r.stats.modalities['sar-l2']!.blocks['s1.b0']!.routers['s1.b0.router.collaborative']!;
    t.is(
      collab.counts.reduce((a, b) => a + b, 0),
      16 * 16,
    );
    t.is(r.stats.modalities['sar-l2']!.frames[0]!.source, 'real');
  },
);

test('calibrating another modality adds to the statistics; calibrating one again replaces its counts', async (t) => {
  const dir = await copyOfTiny();
  await calibratePackage({ dir, frames: generatedFrames(2, 1, 'calibration'), modalities: ['optical'] });
  await calibratePackage({ dir, frames: generatedFrames(2, 1, 'calibration'), modalities: ['sar-l2'] });
  const r = await calibratePackage({ dir, frames: generatedFrames(3, 2, 'calibration'), modalities: ['optical'] });
  t.deepEqual(Object.keys(r.stats.modalities).sort(), ['optical', 'sar-l2']);
  t.is(r.stats.modalities.optical!.frames.length, 3);
  t.is(r.stats.modalities.optical!.frames[0]!.source, 'generated');
  t.is(r.stats.modalities['sar-l2']!.frames.length, 2);
  const saved = JSON.parse(readFileSync(join(dir, 'routing-stats.json'), 'utf8'));
  t.deepEqual(saved, r.stats);
});

test('a temporary graph left by a killed calibrate run is removed by the next run', async (t) => {
  const dir = await copyOfTiny();
  writeFileSync(join(dir, '.calibrate-999999999-optical.onnx'), 'left over');
  await calibratePackage({ dir, frames: generatedFrames(1, 1, 'calibration'), modalities: ['optical'] });
  t.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('.')),
    [],
  );
});

test('BAD CALL - frames that do not fit the model, no frames, an unknown modality', async (t) => {
  const dir = await copyOfTiny();
  const sar1 = await resolveFrames(join(await npyFrames(1, 8), '*.npy'));
  const wrong = await t.throwsAsync(calibratePackage({ dir, frames: sar1, modalities: ['optical'] }));
  t.is(code(wrong), 'E_FRAME_INVALID');
  t.regex(
    wrong!.message,
    /frame-0\.npy: tensor has shape \(8, 64, 64\); optical frames for this package are \(3, 64, 64\)/,
  );
  const empty = tempDir('empty');
  mkdirSync(join(empty, 'sub'));
  const none = await t.throwsAsync(resolveFrames(empty));
  t.is(code(none), 'E_FILE_NOT_FOUND');
  const missing = await t.throwsAsync(resolveFrames(join(empty, 'nope')));
  t.is(code(missing), 'E_FILE_NOT_FOUND');
  const unknown = await t.throwsAsync(
    calibratePackage({ dir, frames: generatedFrames(1, 1, 'c'), modalities: ['thermal'] }),
  );
  t.is(code(unknown), 'E_UNKNOWN_MODALITY');
  t.regex(unknown!.message, /^modalities: unknown modality "thermal"/);
  const notNpy = join(empty, 'x.npy');
  writeFileSync(notNpy, 'hello');
  const bad = await t.throwsAsync(
    (await resolveFrames(notNpy))[0]!.inputs(namedConfig('ringmoe-tiny').modalities[0]!, { height: 64, width: 64 }),
  );
  t.is(code(bad), 'E_FRAME_DECODE');
});

test('EXPECTED FAILURE - statistics calibrated on another package are refused with E_STATS_MISMATCH', async (t) => {
  const a = await copyOfTiny();
  const other = join(tempDir('other'), 'pkg');
  cpSync((await tinyPackage({ seed: 3 })).dir, other, { recursive: true });
  await calibratePackage({ dir: other, frames: generatedFrames(1, 1, 'calibration'), modalities: ['optical'] });
  const err = await t.throwsAsync(
    pruneTo(
      a,
      { strategy: 'ep', keepCollaborative: 0.5, modalities: 'optical' },
      { statsFile: join(other, 'routing-stats.json') },
    ),
  );
  t.is(code(err), 'E_STATS_MISMATCH');
  t.regex(
    err!.message,
    /routing-stats\.json: routing statistics were measured on package ringmoe-tiny \([0-9a-f]{12}…\), not on ringmoe-tiny \([0-9a-f]{12}…\) \(calibrate this package\)/,
  );
});

test('BAD CALL - fidelity frames must be held out: reusing a calibration frame is refused naming --eval-frames', async (t) => {
  const dir = await copyOfTiny();
  const frames = generatedFrames(2, 4, 'calibration');
  await calibratePackage({ dir, frames, modalities: ['optical'] });
  const err = await t.throwsAsync(
    pruneTo(dir, { strategy: 'ep', keepCollaborative: 0.5, modalities: 'optical' }, { evalFrames: frames }),
  );
  t.is(code(err), 'E_INVALID_ARGUMENT');
  t.regex(
    err!.message,
    /^evalFrames: fidelity must be measured on held-out frames, but 2 evaluation frame\(s\) were used for calibration/,
  );
});
