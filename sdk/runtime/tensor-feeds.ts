/**
 * Raw tensor feeds: checking what a caller hands `Runtime.inferTensors` against an entry's
 * declared inputs (names, element types, ranks, fixed dimensions; symbolic dimensions take any
 * size), so a model whose inputs are not images — audio, tabular, a vendor's preprocessed tensors —
 * runs through the runtime with the same coded errors as frames.
 */
import { EdgeError } from '../core/errors.js';
import type { EntryManifest } from '../package/package-manifest.js';
import type { HostTensor } from '../core/host-tensor.js';

const ARRAY_OF: Record<string, string> = {
  float32: 'Float32Array',
  float16: 'Uint16Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  bool: 'Uint8Array',
};

/**
 * Checks `feeds` for `entry`.
 * @throws EdgeError E_INVALID_ARGUMENT naming `feeds.<input>` (missing, unknown, wrong dtype,
 *   rank, fixed dimension or element count)
 */
export function checkTensorFeeds(entry: EntryManifest, feeds: unknown): Record<string, HostTensor> {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds))
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `feeds must be an object of tensors keyed by input name (${entry.inputs.map((i) => i.name).join(', ')})`,
      { field: 'feeds' },
    );
  const f = feeds as Record<string, unknown>;
  const names = new Set(entry.inputs.map((i) => i.name));
  const unknown = Object.keys(f).find((k) => !names.has(k));
  if (unknown !== undefined)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `entry ${entry.name} has no input ${JSON.stringify(unknown)}; its inputs are ${[...names].join(', ')}`,
      { field: `feeds.${unknown}` },
    );
  for (const input of entry.inputs) {
    const field = `feeds.${input.name}`;
    const t = f[input.name] as Partial<HostTensor> | undefined;
    if (!t || typeof t !== 'object')
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `entry ${entry.name} needs input ${input.name} [${input.shape.join(', ')}] ${input.dtype}`,
        { field },
      );
    if (t.dtype !== input.dtype)
      throw new EdgeError('E_INVALID_ARGUMENT', `input ${input.name} is ${input.dtype}, got ${String(t.dtype)}`, {
        field: `${field}.dtype`,
      });
    const ctor = ARRAY_OF[input.dtype];
    if (!ArrayBuffer.isView(t.data) || (ctor && t.data.constructor.name !== ctor))
      throw new EdgeError('E_INVALID_ARGUMENT', `input ${input.name} data must be a ${ctor ?? 'typed array'}`, {
        field: `${field}.data`,
      });
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new EdgeError('E_INVALID_ARGUMENT', `input ${input.name} shape must be an array of non-negative integers`, {
        field: `${field}.shape`,
      });
    if (t.shape.length !== input.shape.length)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `input ${input.name} has rank ${input.shape.length} [${input.shape.join(', ')}], got [${t.shape.join(', ')}]`,
        { field: `${field}.shape` },
      );
    const bad = input.shape.findIndex((d, i) => typeof d === 'number' && d >= 1 && d !== t.shape![i]);
    if (bad >= 0)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `input ${input.name} dimension ${bad} is ${String(input.shape[bad])}, got ${t.shape[bad]}`,
        { field: `${field}.shape` },
      );
    const count = t.shape.reduce((a, b) => a * b, 1);
    if ((t.data as unknown as { length: number }).length !== count)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `input ${input.name} shape [${t.shape.join(', ')}] has ${count} elements, data has ${(t.data as unknown as { length: number }).length}`,
        { field: `${field}.data` },
      );
  }
  return f as Record<string, HostTensor>;
}
