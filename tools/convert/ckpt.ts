/**
 * The MindSpore .ckpt index. The file is protobuf (proto2):
 * `Checkpoint { repeated Value value = 1 }`, `Value { string tag = 1; TensorProto tensor = 2 }`,
 * `TensorProto { repeated int64 dims = 1; string tensor_type = 2; bytes tensor_content = 3 }`.
 * Field headers are scanned with positioned reads; tensor contents are only located, never read
 * here. A tensor over 512 MiB is written as several Values with the same tag: their contents
 * concatenate into one tensor with the first piece's dims and dim 0 summed.
 */
import { EdgeError } from '../../sdk/internal.js';
import { checkExtent, elementCount, type CheckpointTensor } from './checkpoint.js';
import { DTYPE_BYTES, MINDSPORE_DTYPES, type CheckpointDType } from './dtype.js';
import type { FileBytes } from './file-bytes.js';

/** Longest tag or tensor_type string accepted. */
const MAX_STRING = 64 * 1024;
const WINDOW = 64 * 1024;

/** Reads protobuf primitives from a file region through a small moving window. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private bufAt = 0;

  constructor(
    readonly f: FileBytes,
    public pos: number,
    readonly end: number,
    private readonly what: () => string,
  ) {}

  private byte(): number {
    if (this.pos >= this.end)
      throw new EdgeError(
        'E_CHECKPOINT_TRUNCATED',
        `${this.what()}: a field runs past the end of its message (byte ${this.end})`,
        { file: this.f.file },
      );
    if (this.pos < this.bufAt || this.pos >= this.bufAt + this.buf.length) {
      this.bufAt = this.pos;
      this.buf = this.f.readUpTo(this.pos, Math.min(WINDOW, this.end - this.pos), this.what());
      if (this.buf.length === 0)
        throw new EdgeError('E_CHECKPOINT_TRUNCATED', `${this.what()}: the file ends at byte ${this.pos}`, {
          file: this.f.file,
        });
    }
    return this.buf[this.pos++ - this.bufAt]!;
  }

  /** A varint up to 2^53 (larger values are refused: no checkpoint field needs them). */
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) {
        if (!Number.isSafeInteger(v)) break;
        return v;
      }
      mul *= 128;
    }
    throw new EdgeError('E_CHECKPOINT_FORMAT', `${this.what()}: bad varint before byte ${this.pos}`, {
      file: this.f.file,
    });
  }

  /** A length-delimited field's [start, end), checked against the enclosing message. */
  span(): { start: number; end: number } {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) {
      const past = start + len > this.f.size;
      throw new EdgeError(
        past ? 'E_CHECKPOINT_TRUNCATED' : 'E_CHECKPOINT_FORMAT',
        `${this.what()}: a field of ${len} bytes at byte ${start} runs past ${past ? `the end of the file (${this.f.size} bytes)` : `its message (byte ${this.end})`}`,
        { file: this.f.file },
      );
    }
    this.pos = start + len;
    return { start, end: start + len };
  }

  string(): string {
    const { start, end } = this.span();
    if (end - start > MAX_STRING)
      throw new EdgeError(
        'E_CHECKPOINT_FORMAT',
        `${this.what()}: a ${end - start}-byte string field (over ${MAX_STRING})`,
        { file: this.f.file },
      );
    return new TextDecoder().decode(this.f.read(start, end - start, this.what()));
  }

  /** Skips a field of an unknown number with wire type `wt`. */
  skip(wt: number): void {
    if (wt === 0) this.varint();
    else if (wt === 1) this.advance(8);
    else if (wt === 2) this.span();
    else if (wt === 5) this.advance(4);
    else
      throw new EdgeError(
        'E_CHECKPOINT_FORMAT',
        `${this.what()}: unsupported protobuf wire type ${wt} at byte ${this.pos}`,
        { file: this.f.file },
      );
  }

  private advance(n: number): void {
    if (this.pos + n > this.end)
      throw new EdgeError('E_CHECKPOINT_TRUNCATED', `${this.what()}: a fixed-width field runs past byte ${this.end}`, {
        file: this.f.file,
      });
    this.pos += n;
  }
}

interface Piece {
  tag: string;
  dims: number[];
  typeName: string;
  offset: number;
  length: number;
}

function readTensorProto(c: Cursor, tag: string, into: Piece): void {
  while (c.pos < c.end) {
    const key = c.varint();
    const field = Math.floor(key / 8);
    const wt = key % 8;
    if (field === 1 && wt === 0) into.dims.push(c.varint());
    else if (field === 1 && wt === 2) {
      const { start, end } = c.span();
      const inner = new Cursor(c.f, start, end, () => `tensor ${tag} dims`);
      while (inner.pos < inner.end) into.dims.push(inner.varint());
    } else if (field === 2 && wt === 2) into.typeName = c.string();
    else if (field === 3 && wt === 2) {
      const { start, end } = c.span();
      into.offset = start;
      into.length = end - start;
    } else c.skip(wt);
  }
}

/**
 * Indexes a MindSpore checkpoint.
 * @throws EdgeError E_CHECKPOINT_FORMAT, E_CHECKPOINT_TRUNCATED, E_CHECKPOINT_RANGE, E_CHECKPOINT_DTYPE
 */
export function indexCkpt(f: FileBytes): Map<string, CheckpointTensor> {
  const file = f.file;
  const pieces: Piece[] = [];
  const top = new Cursor(f, 0, f.size, () => `checkpoint value ${pieces.length}`);
  while (top.pos < top.end) {
    const key = top.varint();
    if (key !== (1 << 3) + 2) {
      top.skip(key % 8);
      continue;
    }
    const { start, end } = valueSpan(f, top, pieces.length);
    const piece: Piece = { tag: '', dims: [], typeName: '', offset: start, length: 0 };
    const v = new Cursor(f, start, end, () => `checkpoint value ${pieces.length}${piece.tag ? ` (${piece.tag})` : ''}`);
    let sawTensor = false;
    while (v.pos < v.end) {
      const k = v.varint();
      if (k === (1 << 3) + 2) piece.tag = v.string();
      else if (k === (2 << 3) + 2) {
        const s = v.span();
        const t = new Cursor(f, s.start, s.end, () => `tensor ${piece.tag || `of value ${pieces.length}`}`);
        readTensorProto(t, piece.tag, piece);
        sawTensor = true;
      } else v.skip(k % 8);
    }
    if (!piece.tag)
      throw new EdgeError(
        'E_CHECKPOINT_FORMAT',
        `checkpoint value ${pieces.length} (bytes ${start}..${end}) has no tag`,
        { file },
      );
    if (!sawTensor) throw new EdgeError('E_CHECKPOINT_FORMAT', 'the value has no tensor', { file, field: piece.tag });
    pieces.push(piece);
  }
  if (pieces.length === 0) throw new EdgeError('E_CHECKPOINT_FORMAT', 'the checkpoint holds no values', { file });
  return joinPieces(file, f.size, pieces);
}

/**
 * The byte span of the next top-level Value. When it runs past the end of the file, the error
 * names the tag (the Value's first field) if the bytes that are there hold it.
 */
function valueSpan(f: FileBytes, top: Cursor, index: number): { start: number; end: number } {
  const at = top.pos;
  const len = top.varint();
  const start = top.pos;
  if (start + len <= f.size) {
    top.pos = at;
    return top.span();
  }
  let tag = '';
  try {
    const v = new Cursor(f, start, f.size, () => '');
    if (v.varint() === (1 << 3) + 2) tag = v.string();
  } catch {
    // the tag itself is cut off
  }
  throw new EdgeError(
    'E_CHECKPOINT_TRUNCATED',
    `checkpoint value ${index} of ${len} bytes at byte ${start} runs past the end of the file (${f.size} bytes)`,
    { file: f.file, ...(tag ? { field: tag } : {}) },
  );
}

/** Groups pieces by tag; a tag seen several times is one split tensor. */
function joinPieces(file: string, size: number, pieces: Piece[]): Map<string, CheckpointTensor> {
  const out = new Map<string, CheckpointTensor>();
  const firstDims = new Map<string, number[]>();
  for (const p of pieces) {
    const dtype: CheckpointDType | undefined = MINDSPORE_DTYPES[p.typeName];
    if (!dtype)
      throw new EdgeError(
        'E_CHECKPOINT_DTYPE',
        `tensor_type ${JSON.stringify(p.typeName)} is not one of ${Object.keys(MINDSPORE_DTYPES).join(', ')}`,
        { file, field: p.tag },
      );
    const prev = out.get(p.tag);
    if (!prev) {
      out.set(p.tag, { name: p.tag, dtype, dims: [...p.dims], pieces: [{ offset: p.offset, length: p.length }] });
      firstDims.set(p.tag, p.dims);
      continue;
    }
    const same =
      prev.dtype === dtype &&
      prev.dims.length === p.dims.length &&
      p.dims.length > 0 &&
      p.dims.slice(1).every((d, i) => d === prev.dims[i + 1]);
    if (!same) {
      throw new EdgeError(
        'E_CHECKPOINT_RANGE',
        `a later piece of this split tensor is ${p.typeName} [${p.dims}], which does not continue ${prev.dtype} [${prev.dims}] along dim 0`,
        { file, field: p.tag },
      );
    }
    prev.dims[0]! += p.dims[0]!;
    prev.pieces.push({ offset: p.offset, length: p.length });
  }
  for (const t of out.values()) {
    // A writer that gives every piece the whole tensor's dims (rather than its slice's) is read too.
    const first = firstDims.get(t.name)!;
    if (
      t.pieces.length > 1 &&
      elementCount(first) * DTYPE_BYTES[t.dtype] === t.pieces.reduce((s, p) => s + p.length, 0)
    )
      t.dims = [...first];
    checkExtent(file, size, t);
  }
  return out;
}
