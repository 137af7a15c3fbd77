import test from 'ava';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { importModel } from '../../../tools/package/import-model.js';
import { tempDir } from '../../helpers/packages.js';
import { writeVendorRotatedDetector } from '../../helpers/vendor-rotated-detector.js';

const model = () => {
  const p = join(tempDir('vendor'), 'rot.onnx');
  writeVendorRotatedDetector(p, 32);
  return p;
};

test('declaring a rotated detector at import: outputs renamed to the contract, the angle turned into radians clockwise', async (t) => {
  const src = model();
  const dir = join(tempDir('imp'), 'pkg');
  const m = await importModel({
    model: src,
    outDir: dir,
    detection: { boxes: 'dets', layout: 'rbox', angle: 'deg-ccw', scores: 'conf', classes: 'cls' },
    labels: ['ship', 'barge'],
  });
  const e = m.entries[0]!;
  t.deepEqual(e.tasks, ['detection']);
  t.deepEqual(
    e.outputs.map((o) => [o.name, o.task, o.kind, o.shape.join()]),
    [
      ['det_rboxes', 'detection', 'oriented-boxes', 'N,1,5'],
      ['det_scores', 'detection', 'scores', 'N,1'],
      ['det_classes', 'detection', 'classes', 'N,1'],
    ],
  );
  t.deepEqual(m.labels, { detection: ['ship', 'barge'] });
  // A 12 × 4 bar turned by atan(1/2) clockwise on screen, in a 32 × 32 input.
  const data = new Float32Array(3 * 32 * 32);
  const a = Math.atan(0.5);
  for (let v = 0; v < 32; v++) {
    for (let u = 0; u < 32; u++) {
      const dx = u + 0.5 - 16,
        dy = v + 0.5 - 15;
      if (Math.abs(dx * Math.cos(a) + dy * Math.sin(a)) <= 6 && Math.abs(-dx * Math.sin(a) + dy * Math.cos(a)) <= 2)
        for (let c = 0; c < 3; c++) data[c * 1024 + v * 32 + u] = 1;
    }
  }
  const pkg = await openPackage(dir);
  const s = await new OrtBackend().load({ graphPath: pkg.path(e.graph) });
  try {
    const out = await s.run({ image: { dtype: 'float32', shape: [1, 3, 32, 32], data } });
    const [cx, cy, , , angle] = out.det_rboxes!.data as Float32Array;
    t.true(Math.abs(cx! - 16) < 0.3 && Math.abs(cy! - 15) < 0.3, `${cx},${cy}`);
    t.true(Math.abs(angle! - a) < 0.05, `angle ${angle} rad, expected ${a}`);
    t.is((out.det_scores!.data as Float32Array)[0], 1);
  } finally {
    await s.dispose();
  }
});

test('BAD CALL - detection layout declarations that cannot hold name the flag', async (t) => {
  const src = model();
  const tryImport = async (detection: Parameters<typeof importModel>[0]['detection'], labels?: string[]) => {
    const err = await t.throwsAsync(
      importModel({
        model: src,
        outDir: join(tempDir('imp-bad'), 'p'),
        ...(detection ? { detection } : {}),
        ...(labels ? { labels } : {}),
      }),
    );
    return { code: (err as { code?: string }).code, field: (err as { field?: string }).field, message: err!.message };
  };
  const base = { boxes: 'dets', layout: 'rbox' as const, scores: 'conf', classes: 'cls' };
  t.like(await tryImport({ ...base, boxes: 'boxes' }), { code: 'E_INVALID_ARGUMENT', field: '--det-boxes' });
  t.regex((await tryImport({ ...base, boxes: 'boxes' })).message, /no output "boxes"; outputs: dets, conf, cls/);
  t.regex(
    (await tryImport({ ...base, layout: 'quad' })).message,
    /--det-boxes: output dets has shape \[N, 1, 5\]; --det-layout quad needs \[N, M, 8\]/,
  );
  t.like(await tryImport({ ...base, layout: 'obb' as 'rbox' }), { field: '--det-layout' });
  t.like(await tryImport({ ...base, angle: 'grad' as 'deg' }), { field: '--det-angle' });
  t.like(await tryImport({ ...base, scores: 'dets' }), { field: '--det-boxes' });
  t.like(await tryImport({ ...base, classes: 'dets', scores: 'cls' }), { field: '--det-boxes' });
  t.like(await tryImport(undefined, ['ship']), { field: '--labels' });
});
