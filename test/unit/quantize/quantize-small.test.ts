/**
 * ringmoe-small (192×192, 93 M backbone parameters), optical entry: INT8 and FP16 packages run in
 * onnxruntime and stay close to fp32 on held-out frames. The default seeded reference has related
 * experts (expertSpread 0.3, like a trained upcycled MoE); with fully independent random experts a
 * routing flip swaps a token's FFN for an unrelated one and even fp16 rounding drops stride-32
 * cosine to about 0.97 (0.93 with v2 attention; docs/quantization.md).
 */
import test from 'ava';
import { join } from 'node:path';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { loadFrameSources } from '../../../tools/frames/load-sets.js';
import { quantizePackage } from '../../../tools/quantize/quantize-package.js';
import { trunkCosine } from '../../../tools/quantize/report.js';
import { runEntry, randomFeeds, tempDir } from '../../helpers/packages.js';

test('ringmoe-small INT8 (Q/DQ) and FP16 keep trunk features at cosine >= 0.99 on held-out frames', async (t) => {
  t.timeout(20 * 60_000, 'a 192-pixel reference package is written, calibrated and run on a shared CPU');
  const src = join(tempDir('small'), 'fp32');
  await writeReferencePackage({ config: namedConfig('ringmoe-small'), outDir: src });
  const o = { inputSize: { height: 192, width: 192 }, modalities: ['optical'] };
  const calibration = await loadFrameSources(['generated:optical:6:1'], { ...o, field: '--calibration' });
  const heldOut = await loadFrameSources(['generated:optical:2:900'], { ...o, field: '--held-out' });
  for (const precision of ['int8', 'fp16'] as const) {
    const out = join(tempDir('small'), precision);
    // Entropy, as the fidelity table in docs/quantization.md reports it (method-selection.test.ts covers auto).
    const r = await quantizePackage({
      source: src,
      outDir: out,
      precision,
      method: 'entropy',
      entries: ['optical'],
      calibration,
      heldOut,
      latencyRounds: 0,
    });
    t.log(
      `${precision}: fidelity floor ${r.report.floor.passed ? 'met' : 'missed'}, worst ${r.report.floor.worst?.metric} ${r.report.floor.worst?.value.toFixed(4)}`,
    );
    const cos = trunkCosine(r.report);
    t.log(
      `${precision}: trunk feature cosine mean ${cos.mean.toFixed(5)}, min ${cos.min.toFixed(5)}; routing ${r.report.entries[0]!.routing!.mean.toFixed(4)}`,
    );
    t.true(cos.mean >= 0.99, `${precision} trunk cosine ${cos.mean}`);
    const entry = r.manifest.entries[0]!;
    const outputs = await runEntry(out, entry, randomFeeds(entry, 1));
    t.deepEqual(outputs.features_s32!.shape, [1, 384, 6, 6]);
  }
});
