/**
 * Large checkpoints that take no disk: every tensor a config's released names need is declared
 * (safetensors header, or MindSpore Value/TensorProto field headers at their real offsets) and
 * its data left as a hole in a sparse file (reads as zeros).
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { RingMoEConfig } from '../../tools/ringmoe/config.js';
import { stageGeometry } from '../../tools/ringmoe/config.js';
import { releasedFeeds } from '../../tools/convert/released-names.js';

/** Released names and dims of `c` (in its attention flavour), with the classification head. */
export function releasedShapes(c: RingMoEConfig): [string, number[]][] {
  const out = new Map<string, number[]>();
  for (const f of releasedFeeds(c, c.attention, new Set()))
    for (const s of f.sources) if (!s.optional) out.set(s.name, s.dims);
  const K = c.taskHeads.classification.labels.length;
  out.set('head.cls.fc.weight', [K, stageGeometry(c).at(-1)!.dim]);
  out.set('head.cls.fc.bias', [K]);
  return [...out];
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Writes a sparse checkpoint of float32 tensors; returns the declared tensor bytes. */
export function writeSparseCheckpoint(
  path: string,
  format: 'ckpt' | 'safetensors',
  tensors: [string, number[]][],
): number {
  const fd = openSync(path, 'w');
  let declared = 0;
  try {
    if (format === 'safetensors') {
      const header: Record<string, unknown> = {};
      let off = 0;
      for (const [name, dims] of tensors) {
        const n = count(dims) * 4;
        header[name] = { dtype: 'F32', shape: dims, data_offsets: [off, off + n] };
        off += n;
      }
      const json = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      writeSync(fd, len, 0, 8, 0);
      writeSync(fd, json, 0, json.length, 8);
      ftruncateSync(fd, 8 + json.length + off);
      return off;
    }
    let pos = 0;
    for (const [name, dims] of tensors) {
      const content = count(dims) * 4;
      declared += content;
      const tag = Buffer.from(name);
      const type = Buffer.from('Float32');
      const dimBytes = dims.flatMap((d) => [0x08, ...varint(d)]);
      const contentHead = [0x1a, ...varint(content)];
      const tensorLen = dimBytes.length + 2 + type.length + contentHead.length + content;
      const valueBody = [0x0a, ...varint(tag.length), ...tag, 0x12, ...varint(tensorLen)];
      const valueLen = valueBody.length + dimBytes.length + 2 + type.length + contentHead.length + content;
      const head = Buffer.from([
        0x0a,
        ...varint(valueLen),
        ...valueBody,
        ...dimBytes,
        0x12,
        type.length,
        ...type,
        ...contentHead,
      ]);
      writeSync(fd, head, 0, head.length, pos);
      pos += head.length + content;
    }
    ftruncateSync(fd, pos);
    return declared;
  } finally {
    closeSync(fd);
  }
}
