/**
 * Opens a checkpoint: the format is detected from the file's first bytes (a safetensors header
 * length followed by `{`, or a protobuf field 1 of wire type 2 for MindSpore), or forced.
 */
import { EdgeError } from '../../sdk/internal.js';
import { CheckpointReader, type CheckpointFormat } from './checkpoint.js';
import { indexCkpt } from './ckpt.js';
import { FileBytes } from './file-bytes.js';
import { indexSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMATS: readonly CheckpointFormat[] = ['ckpt', 'safetensors'];

/** The format the bytes look like, or undefined. */
export function detectFormat(f: FileBytes): CheckpointFormat | undefined {
  const head = f.readUpTo(0, 9, 'checkpoint header');
  if (head.length >= 9) {
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (n >= 2n && n <= BigInt(f.size - 8) && head[8] === 0x7b) return 'safetensors';
  }
  if (head.length >= 2 && head[0] === 0x0a) return 'ckpt';
  return undefined;
}

/**
 * Opens and indexes `file`. `format` forces a reader; otherwise the content decides.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_CHECKPOINT_FORMAT and the readers' codes
 */
export function openCheckpoint(file: string, format?: CheckpointFormat): CheckpointReader {
  const f = FileBytes.open(file);
  try {
    const fmt = format ?? detectFormat(f);
    if (!fmt) {
      throw new EdgeError('E_CHECKPOINT_FORMAT', 'not a MindSpore .ckpt (protobuf) or safetensors file', {
        file,
        hint: 'give --format ckpt|safetensors if the file is one of them',
      });
    }
    const tensors = fmt === 'ckpt' ? indexCkpt(f) : indexSafetensors(f);
    return new CheckpointReader(f, fmt, tensors);
  } catch (err) {
    f.close();
    throw err;
  }
}
