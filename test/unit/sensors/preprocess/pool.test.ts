import test from 'ava';
import { readFileSync } from 'node:fs';
import { createPreprocessPool } from '../../../../sdk/sensors/preprocess/pool.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import { REAL, frameOf } from '../../../fixtures/frames/index.js';

test('worker results equal main-thread results; the input buffer is transferred, not copied', async (t) => {
  const pool = await createPreprocessPool({ threads: 2 });
  try {
    const options = { inputSize: 96, fit: 'tile', overlap: 16 } as const;
    const bytes = readFileSync(REAL.olinda);
    const local = await preprocessFrame(frameOf(bytes, 'multispectral', { sensor: 'landsat7-etm' }), options);
    const whole = new Uint8Array(bytes); // a copy that owns its whole ArrayBuffer
    const remote = await pool.preprocess(frameOf(whole, 'multispectral', { sensor: 'landsat7-etm' }), options);
    t.is(whole.byteLength, 0, 'the caller’s array was detached by the transfer');
    t.deepEqual(remote.layout, local.layout);
    t.is(remote.batches.length, local.batches.length);
    remote.batches.forEach((b, i) => t.deepEqual(Array.from(b.data), Array.from(local.batches[i]!.data)));
    const kept = new Uint8Array(bytes);
    await pool.preprocess(frameOf(kept, 'multispectral', { sensor: 'landsat7-etm' }), options, { transfer: false });
    t.is(kept.byteLength, bytes.byteLength, 'transfer: false leaves the caller’s array alone');
  } finally {
    await pool.close();
  }
});

test('many frames in flight on two workers; paths, raw arrays and pairs', async (t) => {
  const pool = await createPreprocessPool({ threads: 2, vipsThreads: 1 });
  try {
    const jobs = [REAL.aero1, REAL.aero3, REAL.aeroGray, REAL.blueMarble, REAL.aero1, REAL.aero3].map((p, i) =>
      pool.preprocess(frameOf(p, 'optical', { id: `f${i}` }), { inputSize: 64 }),
    );
    t.true(pool.pending > 0);
    const results = await Promise.all(jobs);
    t.deepEqual(
      results.map((r) => r.layout.frameId),
      ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'],
    );
    t.is(pool.pending, 0);
    const raw = await pool.preprocess(
      frameOf(
        { data: new Float32Array(32 * 32).fill(3), width: 32, height: 32, bands: 1, dtype: 'float32', layout: 'chw' },
        'sar-l2',
      ),
      { inputSize: 16 },
    );
    t.deepEqual(raw.batches[0]!.shape, [1, 3, 16, 16]);
    const [a, b] = await pool.preprocessPair(
      frameOf(REAL.aero1, 'optical', { id: 'a' }),
      frameOf(REAL.aero3, 'optical', { id: 'b' }),
      { inputSize: 128, fit: 'tile' },
    );
    t.deepEqual(a.layout.tiles, b.layout.tiles);
  } finally {
    await pool.close();
  }
});

test('EXPECTED FAILURE - errors from workers keep their code, file and message', async (t) => {
  const pool = await createPreprocessPool({ threads: 1 });
  try {
    const e1 = await t.throwsAsync(
      pool.preprocess(frameOf(new Uint8Array([0x49, 0x49, 42, 0, 8, 0, 0, 0, 1]), 'optical', { id: 'trunc' }), {
        inputSize: 8,
      }),
    );
    t.is((e1 as { code?: string }).code, 'E_FRAME_DECODE');
    t.regex(e1!.message, /^frame "trunc": /);
    const e2 = await t.throwsAsync(pool.preprocess(frameOf('missing.png', 'optical'), { inputSize: 8 }));
    t.is((e2 as { file?: string }).file, 'missing.png');
    t.regex(e2!.message, /^missing.png: frame "test-frame": cannot read the file/);
    // Checked on the calling thread, before any worker is involved.
    const e3 = await t.throwsAsync(
      pool.preprocess(frameOf(REAL.aero1, 'optical'), { inputSize: 8, fit: 'stretch' } as never),
    );
    t.is((e3 as { code?: string }).code, 'E_INVALID_ARGUMENT');
    // The pool still works after errors.
    const ok = await pool.preprocess(frameOf(REAL.aero1, 'optical'), { inputSize: 8 });
    t.is(ok.batches.length, 1);
  } finally {
    await pool.close();
  }
});

test('BAD CALL - pool options; close is idempotent and later calls fail with E_CLOSED', async (t) => {
  await t.throwsAsync(createPreprocessPool({ threads: 0 }), { message: /options.threads/ });
  await t.throwsAsync(createPreprocessPool({ thread: 2 } as never), {
    message: /unknown option options.thread; did you mean options.threads\?/,
  });
  const pool = await createPreprocessPool({ threads: 1 });
  const inFlight = pool.preprocess(frameOf(REAL.blueMarble, 'optical'), { inputSize: 64 });
  const queued = pool.preprocess(frameOf(REAL.blueMarble, 'optical', { id: 'queued' }), { inputSize: 64 });
  await pool.close();
  await pool.close();
  const settled = await Promise.allSettled([inFlight, queued]);
  t.true(settled.every((s) => s.status === 'rejected' && (s.reason as { code?: string }).code === 'E_CLOSED'));
  const e = await t.throwsAsync(pool.preprocess(frameOf(REAL.aero1, 'optical'), { inputSize: 8 }));
  t.is((e as { code?: string }).code, 'E_CLOSED');
});

test('EXPECTED FAILURE - a worker that dies fails its frame with E_INTERNAL and is replaced; one that cannot start fails the pool', async (t) => {
  const crash = new URL('../../../fixtures/frames/crash-worker.mjs', import.meta.url);
  const pool = await createPreprocessPool({ threads: 1, workerUrl: crash });
  try {
    for (const id of ['first', 'second']) {
      const e = await t.throwsAsync(pool.preprocess(frameOf(REAL.aero1, 'optical', { id }), { inputSize: 8 }));
      t.is((e as { code?: string }).code, 'E_INTERNAL');
      t.regex(e!.message, new RegExp(`stopped while working on frame "${id}": exited with code 3`));
    }
  } finally {
    await pool.close();
  }
  const broken = new URL('../../../fixtures/frames/broken-worker.mjs', import.meta.url);
  const e = await t.throwsAsync(createPreprocessPool({ threads: 2, workerUrl: broken }));
  t.is((e as { code?: string }).code, 'E_INTERNAL');
  t.regex(e!.message, /preprocessing worker failed to start .*this worker cannot start/);
});
