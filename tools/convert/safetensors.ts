/**
 * The safetensors index: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}}` (offsets relative to the byte after the
 * header; `__metadata__` optional), then the data. The header size is bounded and every offset is
 * checked against the file.
 */
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { checkExtent, type CheckpointTensor } from './checkpoint.js';
import { SAFETENSORS_DTYPES } from './dtype.js';
import type { FileBytes } from './file-bytes.js';

/** Largest header accepted (the format's own readers use 100 MB). */
export const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

/**
 * Indexes a safetensors file.
 * @throws EdgeError E_CHECKPOINT_FORMAT, E_CHECKPOINT_TRUNCATED, E_CHECKPOINT_RANGE, E_CHECKPOINT_DTYPE
 */
export function indexSafetensors(f: FileBytes): Map<string, CheckpointTensor> {
  const file = f.file;
  const head = f.read(0, 8, 'safetensors header length');
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_SAFETENSORS_HEADER))
    throw new EdgeError(
      'E_CHECKPOINT_FORMAT',
      `safetensors header declares ${n} bytes, over the ${MAX_SAFETENSORS_HEADER}-byte limit`,
      { file },
    );
  const len = Number(n);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(f.read(8, len, 'safetensors header'));
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new EdgeError('E_CHECKPOINT_FORMAT', `safetensors header is not JSON: ${messageOf(err)}`, {
      file,
      cause: err,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new EdgeError('E_CHECKPOINT_FORMAT', 'safetensors header is not a JSON object', { file });
  const base = 8 + len;
  const dataSize = f.size - base;
  const out = new Map<string, CheckpointTensor>();
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (
      typeof e !== 'object' ||
      e === null ||
      !Array.isArray(e.shape) ||
      !Array.isArray(e.data_offsets) ||
      e.data_offsets.length !== 2
    ) {
      throw new EdgeError('E_CHECKPOINT_FORMAT', 'header entry needs dtype, shape and data_offsets [begin, end]', {
        file,
        field: name,
      });
    }
    const dtype = typeof e.dtype === 'string' ? SAFETENSORS_DTYPES[e.dtype] : undefined;
    if (!dtype)
      throw new EdgeError(
        'E_CHECKPOINT_DTYPE',
        `dtype ${JSON.stringify(e.dtype)} is not one of ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`,
        { file, field: name },
      );
    const [begin, end] = e.data_offsets as unknown[];
    if (
      !Number.isSafeInteger(begin) ||
      !Number.isSafeInteger(end) ||
      (begin as number) < 0 ||
      (end as number) < (begin as number)
    ) {
      throw new EdgeError(
        'E_CHECKPOINT_RANGE',
        `data_offsets ${JSON.stringify(e.data_offsets)} are not 0 <= begin <= end`,
        { file, field: name },
      );
    }
    if ((end as number) > dataSize) {
      throw new EdgeError(
        'E_CHECKPOINT_TRUNCATED',
        `data_offsets end ${end} is past the ${dataSize} data bytes after the header`,
        { file, field: name },
      );
    }
    const t: CheckpointTensor = {
      name,
      dtype,
      dims: e.shape as number[],
      pieces: [{ offset: base + (begin as number), length: (end as number) - (begin as number) }],
    };
    checkExtent(file, f.size, t);
    out.set(name, t);
  }
  return out;
}
