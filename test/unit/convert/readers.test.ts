import test from 'ava';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { halfToFloat, floatToHalf } from '../../../sdk/core/float16.js';
import { openCheckpoint } from '../../../tools/convert/open.js';
import { MAX_SAFETENSORS_HEADER } from '../../../tools/convert/safetensors.js';
import { Rng } from '../../../tools/frames/seeded.js';
import {
  ckptBytes,
  ckptValue,
  floatToBf16,
  safetensorsBytes,
  writeCkpt,
  writeSafetensors,
  type TestTensor,
} from '../../helpers/checkpoint-writers.js';
import { tempDir } from '../../helpers/packages.js';

function values(n: number, key: string): Float32Array {
  const rng = new Rng(7, key);
  return Float32Array.from({ length: n }, () => rng.uniform() * 6 - 3);
}

const TENSORS: TestTensor[] = [
  { name: 'encoder.patch_embed.projection.weight', dims: [8, 3, 4, 4], data: values(8 * 3 * 16, 'a') },
  { name: 'encoder.norm.gamma', dims: [8], data: values(8, 'b') },
  { name: 'mlp.special_ffn.mapping.weight', dims: [4, 8, 16], data: values(4 * 8 * 16, 'c') },
  { name: 'global_step', dims: [1], data: Float32Array.of(120), dtype: 'int32' },
];

for (const format of ['ckpt', 'safetensors'] as const) {
  test(`${format}: names, dims and float32 values read back exactly; one expert slice reads only its range`, (t) => {
    const file = join(tempDir('ck'), `model.${format}`);
    if (format === 'ckpt') writeCkpt(file, TENSORS);
    else writeSafetensors(file, TENSORS, { format: 'pt' });
    const r = openCheckpoint(file);
    t.teardown(() => r.close());
    t.is(r.format, format);
    t.deepEqual(
      [...r.tensors.keys()],
      TENSORS.map((x) => x.name),
    );
    for (const x of TENSORS) {
      t.deepEqual(r.tensors.get(x.name)!.dims, x.dims);
      t.deepEqual(r.read(x.name), x.data, x.name);
    }
    t.is(r.tensors.get('global_step')!.dtype, 'int32');
    const e2 = r.read('mlp.special_ffn.mapping.weight', 2 * 128, 128);
    t.deepEqual(e2, TENSORS[2]!.data.subarray(256, 384));
  });

  test(`${format}: float16 and bfloat16 tensors decode to the nearest-even rounding of the written values`, (t) => {
    const data = Float32Array.of(1 / 3, -2.718281828, 65504, 1e-7, 0, -0, 123.456, 3.14159265, 1e5);
    const file = join(tempDir('ck'), 'half');
    const ts: TestTensor[] = [
      { name: 'h', dims: [9], data, dtype: 'float16' },
      { name: 'b', dims: [3, 3], data, dtype: 'bfloat16' },
    ];
    writeFileSync(file, format === 'ckpt' ? ckptBytes(ts) : safetensorsBytes(ts));
    const r = openCheckpoint(file);
    t.teardown(() => r.close());
    t.is(r.format, format, 'detected from content without an extension');
    const h = r.read('h');
    const b = r.read('b');
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    for (let i = 0; i < data.length; i++) {
      t.is(h[i], Math.fround(halfToFloat(floatToHalf(data[i]!))), `f16 ${data[i]}`);
      bits[0] = floatToBf16(data[i]!) << 16;
      t.is(b[i], asFloat[0], `bf16 ${data[i]}`);
    }
    t.is(h[0], 0.333251953125);
    t.is(b[0], 0.333984375);
    t.is(h[8], Infinity, 'float16 overflow stays an overflow');
  });
}

test('ckpt: a tensor split into several Values with the same tag concatenates (packed or unpacked dims), and a range across pieces reads right', (t) => {
  for (const packedDims of [false, true]) {
    const file = join(tempDir('ck'), 'split.ckpt');
    writeCkpt(file, TENSORS, { splitRows: 3, packedDims });
    const raw = readFileSync(file);
    t.true(raw.includes(Buffer.from('encoder.patch_embed.projection.weight')));
    const r = openCheckpoint(file);
    t.deepEqual(r.tensors.get('encoder.patch_embed.projection.weight')!.pieces.length, 3);
    t.deepEqual(r.tensors.get('encoder.patch_embed.projection.weight')!.dims, [8, 3, 4, 4]);
    t.deepEqual(r.read('encoder.patch_embed.projection.weight'), TENSORS[0]!.data);
    t.deepEqual(r.read('mlp.special_ffn.mapping.weight', 300, 200), TENSORS[2]!.data.subarray(300, 500));
    r.close();
  }
});

test("ckpt: pieces that each carry the whole tensor's dims are read as that tensor", (t) => {
  const file = join(tempDir('ck'), 'whole-dims.ckpt');
  const data = values(12, 'w');
  const bytes = new Uint8Array(data.buffer);
  writeFileSync(
    file,
    Buffer.concat([
      ckptValue('w', [4, 3], 'Float32', bytes.subarray(0, 24)),
      ckptValue('w', [4, 3], 'Float32', bytes.subarray(24)),
    ]),
  );
  const r = openCheckpoint(file);
  t.deepEqual(r.tensors.get('w')!.dims, [4, 3]);
  t.deepEqual(r.read('w'), data);
  r.close();
});

test('BAD FILE - truncated ckpt and safetensors name the file and the tensor', (t) => {
  const dir = tempDir('bad');
  const ck = ckptBytes(TENSORS);
  const cut = join(dir, 'cut.ckpt');
  writeFileSync(cut, ck.subarray(0, ck.length - 40));
  const e1 = t.throws(() => openCheckpoint(cut));
  t.is((e1 as { code?: string }).code, 'E_CHECKPOINT_TRUNCATED');
  t.regex(e1!.message, /cut\.ckpt/);
  t.regex(
    e1!.message,
    /cut\.ckpt: mlp\.special_ffn\.mapping\.weight: checkpoint value 2 of \d+ bytes at byte \d+ runs past the end of the file/,
  );
  const st = safetensorsBytes(TENSORS);
  const cutSt = join(dir, 'cut.safetensors');
  writeFileSync(cutSt, st.subarray(0, st.length - 10));
  const e2 = t.throws(() => openCheckpoint(cutSt));
  t.is((e2 as { code?: string }).code, 'E_CHECKPOINT_TRUNCATED');
  t.regex(e2!.message, /cut\.safetensors: mlp\.special_ffn\.mapping\.weight: data_offsets end/);
});

test('BAD FILE - a bad varint, an oversized or broken safetensors header, offsets past the end, a dtype mismatch', (t) => {
  const dir = tempDir('bad');
  const code = (fn: () => unknown) => (t.throws(fn) as { code?: string } | undefined)?.code;
  const varint = join(dir, 'varint.ckpt');
  writeFileSync(varint, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
  t.is(
    code(() => openCheckpoint(varint)),
    'E_CHECKPOINT_FORMAT',
  );
  const big = join(dir, 'big.safetensors');
  const head = Buffer.alloc(16, 0x20);
  head.writeBigUInt64LE(BigInt(MAX_SAFETENSORS_HEADER + 1));
  head[8] = 0x7b;
  writeFileSync(big, head);
  t.is(
    code(() => openCheckpoint(big, 'safetensors')),
    'E_CHECKPOINT_FORMAT',
  );
  const offs = join(dir, 'offsets.safetensors');
  const json = JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8000] } });
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(offs, Buffer.concat([b, Buffer.from(json), Buffer.alloc(8)]));
  const e = t.throws(() => openCheckpoint(offs));
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_TRUNCATED');
  t.regex(e!.message, /offsets\.safetensors: w:/);
  const shape = join(dir, 'shape.safetensors');
  const json2 = JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } });
  b.writeBigUInt64LE(BigInt(json2.length));
  writeFileSync(shape, Buffer.concat([b, Buffer.from(json2), Buffer.alloc(8)]));
  t.is(
    code(() => openCheckpoint(shape)),
    'E_CHECKPOINT_RANGE',
  );
  const garbage = join(dir, 'notes.ckpt');
  writeFileSync(garbage, 'hello, this is not a checkpoint');
  t.is(
    code(() => openCheckpoint(garbage)),
    'E_CHECKPOINT_FORMAT',
  );
  const forced = join(dir, 'forced');
  writeFileSync(forced, safetensorsBytes(TENSORS));
  t.is(
    code(() => openCheckpoint(forced, 'ckpt')),
    'E_CHECKPOINT_FORMAT',
  );
});

test('BAD FILE - unknown dtypes are refused naming the tensor, in both formats', (t) => {
  const dir = tempDir('bad');
  const ck = join(dir, 'u8.ckpt');
  writeFileSync(ck, ckptValue('encoder.norm.gamma', [4], 'UInt8', new Uint8Array(4)));
  const e1 = t.throws(() => openCheckpoint(ck));
  t.is((e1 as { code?: string }).code, 'E_CHECKPOINT_DTYPE');
  t.regex(e1!.message, /u8\.ckpt: encoder\.norm\.gamma: tensor_type "UInt8"/);
  const st = join(dir, 'f64.safetensors');
  const json = JSON.stringify({ 'encoder.norm.gamma': { dtype: 'F64', shape: [1], data_offsets: [0, 8] } });
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(st, Buffer.concat([b, Buffer.from(json), Buffer.alloc(8)]));
  const e2 = t.throws(() => openCheckpoint(st));
  t.is((e2 as { code?: string }).code, 'E_CHECKPOINT_DTYPE');
  t.regex(e2!.message, /encoder\.norm\.gamma: dtype "F64"/);
});

test('BAD FILE - a symbolic link to a checkpoint is refused, a missing file is E_FILE_NOT_FOUND', (t) => {
  const dir = tempDir('link');
  const real = join(dir, 'real.ckpt');
  writeCkpt(real, TENSORS);
  const link = join(dir, 'link.ckpt');
  symlinkSync(real, link);
  const e = t.throws(() => openCheckpoint(link));
  t.is((e as { code?: string }).code, 'E_PATH_UNSAFE');
  t.regex(e!.message, /link\.ckpt: the checkpoint path is a symbolic link/);
  t.is((t.throws(() => openCheckpoint(join(dir, 'absent.ckpt'))) as { code?: string }).code, 'E_FILE_NOT_FOUND');
});

test('BAD FILE - every truncation and 400 random byte corruptions of a ckpt and a safetensors file give a coded error or a readable index, never a crash', (t) => {
  const dir = tempDir('fuzz');
  const small: TestTensor[] = [TENSORS[1]!, { name: 'w', dims: [2, 3], data: values(6, 'w') }, TENSORS[3]!];
  const rng = new Rng(3, 'fuzz');
  const codes = new Set<string>();
  for (const [ext, bytes] of [
    ['ckpt', ckptBytes(small, { splitRows: 1 })],
    ['safetensors', safetensorsBytes(small)],
  ] as const) {
    const cases: Uint8Array[] = [];
    for (let n = 0; n < bytes.length; n++) cases.push(bytes.subarray(0, n));
    for (let i = 0; i < 400; i++) {
      const b = Uint8Array.from(bytes);
      for (let k = 0; k < 1 + Math.floor(rng.uniform() * 3); k++)
        b[Math.floor(rng.uniform() * b.length)] = Math.floor(rng.uniform() * 256);
      cases.push(b);
    }
    for (const [i, c] of cases.entries()) {
      const file = join(dir, `case.${ext}`);
      writeFileSync(file, c);
      try {
        const r = openCheckpoint(file, ext);
        for (const name of r.tensors.keys()) r.read(name);
        r.close();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!code?.startsWith('E_')) t.fail(`${ext} case ${i}: ${String(err)}`);
        codes.add(code!);
      }
    }
  }
  t.log([...codes].sort().join(', '));
  t.true(codes.has('E_CHECKPOINT_TRUNCATED') && codes.has('E_CHECKPOINT_FORMAT'));
});
