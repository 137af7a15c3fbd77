/**
 * `npm run train`: argument handling, the Python lookup, and (when a Python with torch and the
 * shared Statlog data are present) the statlog smoke run end to end: the checkpoint it writes is
 * read back here without Python — the .ckpt protobuf (with a tensor split over two Values) and the
 * safetensors file hold the same released-name tensors and no buffers. Also runs the Python checks
 * of training/tests (module vs a NumPy reading of the model contract, writer round trips).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { REPO_ROOT, sharedDataOrSkip } from '../../helpers/shared-data.js';
import { findTorchPython, parseTrainArgs, pythonCandidates, RECIPES } from '../../../tools/scripts/train.js';

const run = promisify(execFile);
const STATLOG = 'labels/mlbench_statlog_landsat/statlog_satellite.npz';

interface Tensor {
  dims: number[];
  data: Float32Array;
}

function readSafetensors(buf: Buffer): Map<string, Tensor> {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, Tensor>();
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (h.dtype !== 'F32') throw new Error(`${name}: dtype ${h.dtype}`);
    const bytes = buf.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1]);
    out.set(name, { dims: h.shape, data: new Float32Array(Uint8Array.from(bytes).buffer) });
  }
  return out;
}

/** MindSpore .ckpt: Checkpoint{repeated Value value=1}, Value{tag=1, tensor=2}, TensorProto{dims=1, tensor_type=2, tensor_content=3}. */
function readCkpt(buf: Uint8Array): { tensors: Map<string, Tensor>; values: Map<string, number> } {
  const pieces = new Map<string, { dims: number[]; type: string; content: Uint8Array }[]>();
  const top = new BinaryReader(buf);
  while (top.pos < top.len) {
    const [field, wire] = top.tag();
    if (field !== 1 || wire !== WireType.LengthDelimited) {
      top.skip(wire);
      continue;
    }
    const value = new BinaryReader(top.bytes());
    let tag = '';
    const piece: { dims: number[]; type: string; content: Uint8Array } = { dims: [], type: '', content: new Uint8Array() };
    while (value.pos < value.len) {
      const [f, w] = value.tag();
      if (f === 1) tag = value.string();
      else if (f === 2) {
        const t = new BinaryReader(value.bytes());
        while (t.pos < t.len) {
          const [tf, tw] = t.tag();
          if (tf === 1 && tw === WireType.Varint) piece.dims.push(Number(t.int64()));
          else if (tf === 1) {
            const packed = new BinaryReader(t.bytes());
            while (packed.pos < packed.len) piece.dims.push(Number(packed.int64()));
          } else if (tf === 2) piece.type = t.string();
          else if (tf === 3) piece.content = t.bytes();
          else t.skip(tw);
        }
      } else value.skip(w);
    }
    pieces.set(tag, [...(pieces.get(tag) ?? []), piece]);
  }
  const tensors = new Map<string, Tensor>();
  const values = new Map<string, number>();
  for (const [tag, ps] of pieces) {
    if (ps.some((p) => p.type !== 'Float32')) throw new Error(`${tag}: ${ps[0]!.type}`);
    const dims = [...ps[0]!.dims];
    if (ps.length > 1) dims[0] = ps.reduce((s, p) => s + p.dims[0]!, 0);
    const bytes = Buffer.concat(ps.map((p) => p.content));
    tensors.set(tag, { dims, data: new Float32Array(Uint8Array.from(bytes).buffer) });
    values.set(tag, ps.length);
  }
  return { tensors, values };
}

test('parseTrainArgs: recipe table, --out resolved against the caller, coded errors', (t) => {
  const a = parseTrainArgs(['statlog', '--smoke', '--out', 'rel/dir'], '/base');
  t.is(a.module, RECIPES.statlog!.module);
  t.deepEqual(a.passThrough, ['--smoke', '--out', '/base/rel/dir']);
  t.throws(() => parseTrainArgs(['nope']), { message: /E_UNKNOWN_RECIPE.*statlog/ });
  t.throws(() => parseTrainArgs([]), { message: /E_TRAIN_USAGE/ });
  t.throws(() => parseTrainArgs(['statlog', '--out']), { message: /E_TRAIN_USAGE: --out/ });
  const r = parseTrainArgs(['rsmoe', '--package-from', 'runs/x', '--model-dir', '/abs/m', '--steps', '10'], '/base');
  t.is(r.module, RECIPES.rsmoe!.module);
  t.deepEqual(r.passThrough, ['--package-from', '/base/runs/x', '--model-dir', '/abs/m', '--steps', '10']);
  t.throws(() => parseTrainArgs(['rsmoe', '--eval-from', '--smoke']), { message: /E_TRAIN_USAGE: --eval-from needs a folder/ });
});

test('findTorchPython: RINGMOE_PYTHON first, then the first candidate that imports torch', (t) => {
  t.deepEqual(pythonCandidates({ RINGMOE_PYTHON: 'my-python' }).slice(0, 2), ['my-python', '/usr/bin/python3']);
  t.is(findTorchPython(['a', 'b', 'c'], (p) => p !== 'a'), 'b');
  t.is(findTorchPython(['a'], () => false), undefined);
});

test('statlog --smoke writes a released-name checkpoint that reads back identically from .ckpt and .safetensors (needs torch + ../shared)', async (t) => {
  if (!sharedDataOrSkip(t, STATLOG)) return;
  const python = findTorchPython();
  if (!python) {
    t.log(`SKIPPED: no Python with PyTorch (tried ${pythonCandidates().join(', ')})`);
    t.pass();
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'ringmoe-train-'));
  try {
    const r = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tools/scripts/train.ts'), 'statlog', '--smoke', '--out', out, '--ckpt-split', '2', '--val-rows', '300', '--teachers', join(REPO_ROOT, 'models', 'ringmoe-statlog-ms')], {
      cwd: REPO_ROOT,
      maxBuffer: 16 << 20,
    });
    t.regex(r.stdout, /final: train/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      smoke: boolean;
      params: number;
      labels: string[];
      val_rows: number;
      val_acc: number;
      selected_epoch: number;
      history: { epoch: number; val_acc: number }[];
      teacher_ensemble_test_acc: number;
    };
    t.true(metrics.smoke);
    // --val-rows: the kept epoch is the last one with the best validation accuracy, never chosen on the test split.
    t.is(metrics.val_rows, 300);
    const bestVal = Math.max(...metrics.history.map((h) => h.val_acc));
    t.is(metrics.val_acc, bestVal);
    t.is(metrics.selected_epoch, metrics.history.filter((h) => h.val_acc === bestVal).at(-1)!.epoch);
    // --teachers: the committed model distils into the run; its test accuracy on the smoke subset is reported.
    t.regex(r.stdout, /teacher .*ringmoe-statlog-ms: 801298 parameters, test 0\.\d+/);
    t.true(metrics.teacher_ensemble_test_acc > 0.85, `teacher ensemble ${metrics.teacher_ensemble_test_acc}`);
    t.regex(r.stdout, new RegExp(`selected epoch ${metrics.selected_epoch} by validation accuracy`));
    t.deepEqual(metrics.labels, ['red soil', 'cotton crop', 'grey soil', 'damp grey soil', 'vegetation stubble', 'very damp grey soil']);
    const st = readSafetensors(readFileSync(join(out, 'checkpoint/ringmoe-statlog-ms.safetensors')));
    const { tensors: ck, values } = readCkpt(readFileSync(join(out, 'checkpoint/ringmoe-statlog-ms.ckpt')));
    t.deepEqual([...ck.keys()], [...st.keys()]);
    t.is(values.get('head.cls.fc.weight'), 2, 'the head weight is split over two Values');
    let params = 0;
    for (const [name, a] of st) {
      const b = ck.get(name)!;
      t.deepEqual(b.dims, a.dims, name);
      t.deepEqual(b.data, a.data, name);
      params += a.data.length;
    }
    t.is(params, metrics.params);
    // Released layouts (MODEL-CONTRACT.md): no buffers, gamma/beta norms, expert stacks and routers.
    t.false([...st.keys()].some((k) => k.includes('relative_position_index') || k.includes('attn_mask')));
    const b = 'encoder.layers.0.blocks.0.';
    t.deepEqual(st.get('encoder.patch_embed.projection.weight')!.dims, [32, 4, 4, 4]);
    t.deepEqual(st.get(`${b}attn.q.weight`)!.dims, [32, 32]);
    t.deepEqual(st.get(`${b}attn.relative_position_bias.relative_position_bias_table`)!.dims, [25, 2]);
    t.deepEqual(st.get(`${b}norm1.gamma`)!.dims, [32]);
    t.deepEqual(st.get(`${b}mlp.special_ffn.mapping.weight`)!.dims, [4, 32, 128]);
    t.deepEqual(st.get(`${b}mlp.special_ffn.mapping.bias`)!.dims, [1, 4, 1, 128]);
    t.deepEqual(st.get(`${b}mlp.special_ffn.projection.weight`)!.dims, [4, 128, 32]);
    t.deepEqual(st.get(`${b}mlp.special_router.dense.weight`)!.dims, [4, 32]);
    t.deepEqual(st.get(`${b}mlp.cross_router.dense.weight`)!.dims, [4, 32]);
    t.deepEqual(st.get(`${b}mlp.public_ffn.mapping.weight`)!.dims, [32, 128]);
    t.deepEqual(st.get('encoder.layers.0.downsample.reduction.weight')!.dims, [64, 128]);
    t.deepEqual(st.get('encoder.layers.0.downsample.norm.gamma')!.dims, [64]);
    t.deepEqual(st.get('encoder.stage_norm0.gamma')!.dims, [32]);
    t.deepEqual(st.get('encoder.norm.beta')!.dims, [64]);
    t.deepEqual(st.get('head.cls.fc.weight')!.dims, [6, 64]);
    const golden = JSON.parse(readFileSync(join(out, 'golden.json'), 'utf8')) as { input: { shape: number[] }; cls_logits: { shape: number[]; data: number[] } };
    t.deepEqual(golden.input.shape, [12, 4, 24, 24]);
    t.deepEqual(golden.cls_logits.shape, [12, 6]);
    t.true(existsSync(join(out, 'routing-stats.json')));
    // The Python checks: the module against a NumPy reading of the contract, writer/reader round trips.
    const py = await run(python, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], {
      cwd: join(REPO_ROOT, 'training'),
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    t.regex(py.stderr, /OK/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
