import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/packages.js';
import { runCliProcess as cli } from '../helpers/cli-process.js';
import { writeVendorRotatedDetector } from '../helpers/vendor-rotated-detector.js';

test('import --det-boxes … --det-layout rbox --det-angle deg-ccw: a rotated detector package, human and --json output', async (t) => {
  const dir = tempDir('cli-imp');
  const model = join(dir, 'rot.onnx');
  writeVendorRotatedDetector(model, 32);
  const flags = [
    '--det-boxes',
    'dets',
    '--det-layout',
    'rbox',
    '--det-angle',
    'deg-ccw',
    '--det-scores',
    'conf',
    '--det-classes',
    'cls',
    '--labels',
    'ship,barge',
  ];
  const human = await cli(['import', model, '-o', join(dir, 'a'), '--modality', 'optical', ...flags]);
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, /outputs: det_rboxes float32\[N,1,5\]; det_scores float32\[N,1\]; det_classes int64\[N,1\]/);
  t.regex(human.stdout, /tasks: +detection/);
  const json = await cli(['import', model, '-o', join(dir, 'b'), ...flags, '--json']);
  t.is(json.code, 0, json.stderr);
  t.deepEqual((JSON.parse(json.stdout) as { tasks: string[] }).tasks, ['detection']);
  const manifest = JSON.parse(readFileSync(join(dir, 'b', 'ringmoe.json'), 'utf8')) as { labels: unknown };
  t.deepEqual(manifest.labels, { detection: ['ship', 'barge'] });
});

test('BAD CALL - a partial detector declaration names the missing flag (exit 2)', async (t) => {
  const dir = tempDir('cli-imp-bad');
  const model = join(dir, 'rot.onnx');
  writeVendorRotatedDetector(model, 32);
  const partial = await cli(['import', model, '-o', join(dir, 'a'), '--det-boxes', 'dets', '--det-layout', 'rbox']);
  t.is(partial.code, 2);
  t.regex(partial.stderr, /--det-boxes, --det-scores and --det-classes declare a detector together; give all three/);
  const layoutOnly = await cli(['import', model, '-o', join(dir, 'b'), '--det-angle', 'deg']);
  t.is(layoutOnly.code, 2);
  t.regex(layoutOnly.stderr, /--det-angle describes a detector's boxes and needs --det-boxes/);
  const wrong = await cli([
    'import',
    model,
    '-o',
    join(dir, 'c'),
    '--det-boxes',
    'dets',
    '--det-layout',
    'quad',
    '--det-scores',
    'conf',
    '--det-classes',
    'cls',
  ]);
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /--det-boxes: output dets has shape \[N, 1, 5\]; --det-layout quad needs \[N, M, 8\]/);
});
