/**
 * CPU latency of ringmoe-small's optical entry in onnxruntime: INT8 (Q/DQ) and FP16 packages
 * against the fp32 package, all three interleaved in one run (ratios against the fp32 anchor).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikePackage, openPackage } from '../../sdk/package/open-package.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { loadFrameSources } from '../../tools/frames/load-sets.js';
import { quantizePackage } from '../../tools/quantize/quantize-package.js';
import { randomFeeds } from '../helpers/packages.js';
import { BENCH_CACHE, benchPackage, interleave, median, type Bench, type BenchResult } from './harness.js';

async function quantized(src: string, precision: 'int8' | 'fp16', log: (l: string) => void): Promise<string> {
  const dir = join(BENCH_CACHE, `ringmoe-small-optical-${precision}`);
  if (existsSync(dir) && looksLikePackage(dir)) return dir;
  log(`quantizing ringmoe-small (optical) to ${precision} (once; cached in .cache/bench)`);
  const o = { inputSize: { height: 192, width: 192 }, modalities: ['optical'] };
  await quantizePackage({
    source: src,
    outDir: dir,
    force: true,
    precision,
    entries: ['optical'],
    calibration:
      precision === 'int8' ? await loadFrameSources(['generated:optical:8:1'], { ...o, field: '--calibration' }) : [],
    heldOut: await loadFrameSources(['generated:optical:2:900'], { ...o, field: '--held-out' }),
    latencyRounds: 0,
  });
  return dir;
}

export const bench: Bench = {
  name: 'quantize-latency',
  description:
    'ringmoe-small, optical entry, onnxruntime CPU: INT8 Q/DQ and FP16 latency vs FP32 (one run, interleaved)',
  async run(log) {
    const src = await benchPackage('ringmoe-small', { lowering: 'sparse' }, log);
    const int8 = await quantized(src, 'int8', log);
    const fp16 = await quantized(src, 'fp16', log);
    const entry = (await openPackage(src, { verify: 'size' })).entry('optical');
    const backend = new OrtBackend();
    const sessions = {
      fp32: await backend.load({ graphPath: join(src, entry.graph) }),
      int8: await backend.load({ graphPath: join(int8, entry.graph) }),
      fp16: await backend.load({ graphPath: join(fp16, entry.graph) }),
    };
    const feeds = randomFeeds(entry, 1, 11);
    const samples = await interleave(
      {
        fp32: () => sessions.fp32.run(feeds),
        int8: () => sessions.int8.run(feeds),
        fp16: () => sessions.fp16.run(feeds),
      },
      15,
    );
    const m = { fp32: median(samples.fp32!), int8: median(samples.int8!), fp16: median(samples.fp16!) };
    log(
      `batch 1: fp32 ${m.fp32.toFixed(1)} ms, int8 ${m.int8.toFixed(1)} ms (x${(m.int8 / m.fp32).toFixed(2)}), fp16 ${m.fp16.toFixed(1)} ms (x${(m.fp16 / m.fp32).toFixed(2)})`,
    );
    for (const s of Object.values(sessions)) await s.dispose();
    const results: BenchResult[] = [
      {
        name: 'quantize-latency int8',
        ratio: { label: 'INT8 Q/DQ latency / FP32 latency (onnxruntime CPU; <1: faster)', value: m.int8 / m.fp32 },
        metrics: { fp32MedianMs: m.fp32, int8MedianMs: m.int8, rounds: samples.fp32!.length, batch: 1 },
      },
      {
        name: 'quantize-latency fp16',
        ratio: { label: 'FP16-weight latency / FP32 latency (onnxruntime CPU)', value: m.fp16 / m.fp32 },
        metrics: { fp32MedianMs: m.fp32, fp16MedianMs: m.fp16, rounds: samples.fp32!.length, batch: 1 },
      },
    ];
    return results;
  },
};
