/**
 * Raw tensors for model inputs that read no sensor modality (an imported audio, tabular or
 * vendor model): calibration and held-out samples from NumPy files, or generated standard-normal
 * samples when a precision needs held-out inputs and none were named (FP16 of an imported model).
 *
 * Source forms (`--calibration`, `--held-out`, repeatable):
 * - `<input>=<file.npy>`: the array's first axis enumerates samples (an array of the input's own
 *   rank without that axis is one sample);
 * - `<input>=<file.npz>[:<array>]`: the named array, else the one named like the input, else the
 *   archive's only array;
 * - `<file.npy>` / `<file.npz>`: the same for the entry's only raw input, or (npz) every raw input
 *   from the array of its name;
 * - `random:<input>[:<count>[:<seed>]]`: GENERATED standard-normal samples, not data.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import type { InputSpec } from '../../sdk/internal.js';
import type { FrameSet, PreparedFrame } from '../frames/frame-set.js';
import { npzMembers, parseNpy, type NumpyArray } from './npz.js';

export interface TensorSourceOptions {
  /** The raw inputs (no modality) of the entries being quantized. */
  inputs: readonly InputSpec[];
  /** Most samples taken from one source, spread evenly. Default 32. */
  maxFrames?: number;
  /** Size for symbolic height and width of image-like inputs of generated samples. */
  inputSize?: { height: number; width: number };
  field: string;
}

/** True when a source text names raw tensors rather than images or generated scenes. */
export function isTensorSource(text: string): boolean {
  return text.startsWith('random:') || /\.(npy|npz)(:[^/\\]*)?$/i.test(text);
}

/** Whether the input's first axis is a batch axis (symbolic, or 1 with more axes after it). */
export function hasBatchAxis(input: InputSpec): boolean {
  const d = input.shape[0];
  return input.shape.length >= 1 && (typeof d === 'string' || d === -1 || (d === 1 && input.shape.length >= 2));
}

function sampleDims(input: InputSpec): (number | string)[] {
  return hasBatchAxis(input) ? input.shape.slice(1) : [...input.shape];
}

function findInput(name: string, o: TensorSourceOptions): InputSpec {
  const input = o.inputs.find((i) => i.name === name);
  if (!input)
    throw new EdgeError(
      'E_CALIBRATION',
      `no raw-tensor input named ${JSON.stringify(name)}; the entries' raw inputs are ${o.inputs.map((i) => i.name).join(', ') || 'none'}`,
      { field: o.field },
    );
  return input;
}

function evenly<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]!);
}

/** Splits an array into samples of `input` and converts them to its dtype. */
function samplesOf(arr: NumpyArray, input: InputSpec, source: string, o: TensorSourceOptions): PreparedFrame[] {
  const dims = sampleDims(input);
  let count: number;
  let sample: number[];
  if (arr.shape.length === dims.length + 1) {
    count = arr.shape[0]!;
    sample = arr.shape.slice(1);
  } else if (arr.shape.length === dims.length) {
    count = 1;
    sample = arr.shape;
  } else {
    throw new EdgeError(
      'E_CALIBRATION',
      `${source}: array shape [${arr.shape.join(', ')}] does not fit input ${input.name} [${input.shape.join(', ')}] (samples along the first axis)`,
      { field: o.field },
    );
  }
  const bad = dims.findIndex((d, i) => typeof d === 'number' && d >= 1 && d !== sample[i]);
  if (bad >= 0)
    throw new EdgeError(
      'E_CALIBRATION',
      `${source}: samples are [${sample.join(', ')}] but input ${input.name} needs [${dims.join(', ')}]`,
      { field: o.field },
    );
  if (input.dtype !== 'float32' && input.dtype !== 'int64')
    throw new EdgeError(
      'E_CALIBRATION',
      `input ${input.name} is ${input.dtype}; raw calibration tensors are read for float32 and int64 inputs`,
      { field: o.field },
    );
  const per = sample.reduce((a, b) => a * b, 1);
  const frames: PreparedFrame[] = [];
  for (let k = 0; k < count; k++) {
    const slice = arr.values.subarray(k * per, (k + 1) * per);
    let data: Float32Array | BigInt64Array;
    if (input.dtype === 'int64') {
      if (!slice.every(Number.isInteger))
        throw new EdgeError(
          'E_CALIBRATION',
          `${source}: input ${input.name} is int64 but the array holds non-integers (${arr.descr})`,
          { field: o.field },
        );
      data = BigInt64Array.from(slice, (v) => BigInt(v));
    } else {
      if (!slice.every(Number.isFinite))
        throw new EdgeError('E_CALIBRATION', `${source}: sample ${k} holds NaN or infinite values`, { field: o.field });
      data = Float32Array.from(slice);
    }
    frames.push({
      id: `${source}#${k}`,
      modality: 'tensor',
      origin: 'real',
      channels: 0,
      height: 0,
      width: 0,
      data,
      shape: sample,
      dtype: input.dtype,
    });
  }
  return evenly(frames, o.maxFrames ?? 32);
}

async function bytesOf(file: string, field: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new EdgeError('E_FILE_NOT_FOUND', `tensor source ${file} cannot be read: ${messageOf(err)}`, {
      file,
      field,
      cause: err,
    });
  }
}

/** A small seeded generator (mulberry32) for generated samples. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generated standard-normal samples for a float input. Symbolic dimensions: the last two of an
 * image-like rank-4 input take `inputSize` (64 × 64 when absent); any other symbolic dimension is
 * refused (name tensors instead).
 * @throws EdgeError E_CALIBRATION for int inputs and unresolvable dimensions
 */
export function generatedSamples(input: InputSpec, count: number, seed: number, o: TensorSourceOptions): FrameSet {
  if (input.dtype !== 'float32')
    throw new EdgeError(
      'E_CALIBRATION',
      `input ${input.name} is ${input.dtype}: generated samples are only made for float32 inputs; give ${input.name}=<file.npy>`,
      { field: o.field },
    );
  const dims = sampleDims(input);
  const size = o.inputSize ?? { height: 64, width: 64 };
  const sample = dims.map((d, i) => {
    if (typeof d === 'number' && d >= 1) return d;
    if (input.shape.length === 4 && i === dims.length - 2) return size.height;
    if (input.shape.length === 4 && i === dims.length - 1) return size.width;
    throw new EdgeError(
      'E_CALIBRATION',
      `input ${input.name} [${input.shape.join(', ')}] has a symbolic dimension ${JSON.stringify(d)} that generated samples cannot size; give ${input.name}=<file.npy>`,
      { field: o.field },
    );
  });
  const per = sample.reduce((a, b) => a * b, 1);
  const next = rng(seed);
  const frames: PreparedFrame[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Float32Array(per);
    for (let i = 0; i < per; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const t = 2 * Math.PI * next();
      data[i] = r * Math.cos(t);
      if (i + 1 < per) data[i + 1] = r * Math.sin(t);
    }
    frames.push({
      id: `random:${input.name}:${seed + k}`,
      modality: 'tensor',
      origin: 'generated',
      channels: 0,
      height: 0,
      width: 0,
      data,
      shape: sample,
      dtype: 'float32',
    });
  }
  return {
    modality: 'tensor',
    input: input.name,
    source: `random:${input.name}:${count}:${seed} [${sample.join(', ')}]`,
    origin: 'generated',
    frames,
  };
}

/**
 * Loads one raw-tensor source into one set per input it feeds.
 * @throws EdgeError E_CALIBRATION (malformed spec, unknown input, shapes or dtypes that do not fit),
 *   E_FILE_NOT_FOUND
 */
export async function loadTensorSource(text: string, o: TensorSourceOptions): Promise<FrameSet[]> {
  const rand = /^random:([^:]+)(?::(\d+))?(?::(\d+))?$/.exec(text);
  if (rand)
    return [
      generatedSamples(
        findInput(rand[1]!, o),
        Math.min(Number(rand[2] ?? 8), o.maxFrames ?? 32),
        Number(rand[3] ?? 1),
        o,
      ),
    ];
  if (text.startsWith('random:'))
    throw new EdgeError(
      'E_CALIBRATION',
      `cannot read tensor source ${JSON.stringify(text)}; write random:<input>[:<count>[:<seed>]]`,
      { field: o.field },
    );
  const eq = text.indexOf('=');
  const named = eq > 0 && !/[/\\]/.test(text.slice(0, eq)) ? text.slice(0, eq) : undefined;
  let rest = named !== undefined ? text.slice(eq + 1) : text;
  let array: string | undefined;
  const colon = /^(.*\.npz):([^/\\]+)$/i.exec(rest);
  if (colon) {
    rest = colon[1]!;
    array = colon[2]!;
  }
  const file = rest;
  const bytes = await bytesOf(file, o.field);
  const label = (input: string, member?: string) => `${basename(file)}${member ? `:${member}` : ''}→${input}`;
  if (extname(file).toLowerCase() === '.npy') {
    if (array !== undefined)
      throw new EdgeError('E_CALIBRATION', `${text}: a .npy file holds one array; ':${array}' is for .npz archives`, {
        field: o.field,
      });
    const input = named !== undefined ? findInput(named, o) : onlyInput(o, text);
    return [
      {
        modality: 'tensor',
        input: input.name,
        source: text,
        origin: 'real',
        frames: samplesOf(parseNpy(bytes, file), input, label(input.name), o),
      },
    ];
  }
  const members = npzMembers(bytes, file);
  const pick = (input: InputSpec, wanted: string | undefined): [string, Uint8Array] => {
    const name =
      wanted ?? (members.has(input.name) ? input.name : members.size === 1 ? [...members.keys()][0]! : undefined);
    const body = name !== undefined ? members.get(name) : undefined;
    if (name === undefined || !body) {
      throw new EdgeError(
        'E_CALIBRATION',
        `${file} has no array ${JSON.stringify(wanted ?? input.name)} for input ${input.name}; it has ${[...members.keys()].join(', ')}`,
        { field: o.field, hint: `name the array: ${input.name}=${file}:<array>` },
      );
    }
    return [name, body];
  };
  if (named !== undefined || o.inputs.length === 1 || array !== undefined) {
    const input = named !== undefined ? findInput(named, o) : onlyInput(o, text);
    const [member, body] = pick(input, array);
    return [
      {
        modality: 'tensor',
        input: input.name,
        source: text,
        origin: 'real',
        frames: samplesOf(parseNpy(body, `${file}:${member}`), input, label(input.name, member), o),
      },
    ];
  }
  return o.inputs.map((input) => {
    const [member, body] = pick(input, undefined);
    return {
      modality: 'tensor',
      input: input.name,
      source: `${input.name}=${file}:${member}`,
      origin: 'real',
      frames: samplesOf(parseNpy(body, `${file}:${member}`), input, label(input.name, member), o),
    };
  });
}

function onlyInput(o: TensorSourceOptions, text: string): InputSpec {
  if (o.inputs.length !== 1) {
    throw new EdgeError(
      'E_CALIBRATION',
      `tensor source ${JSON.stringify(text)} does not say which input it feeds, and the entries read ${o.inputs.length ? o.inputs.map((i) => i.name).join(', ') : 'no raw tensors (every input reads a sensor modality: give image frames)'}`,
      {
        field: o.field,
        ...(o.inputs.length ? { hint: `write <input>=${text}` } : {}),
      },
    );
  }
  return o.inputs[0]!;
}

/** Loads several raw-tensor sources. */
export async function loadTensorSources(texts: readonly string[], o: TensorSourceOptions): Promise<FrameSet[]> {
  const sets: FrameSet[] = [];
  for (const t of texts) sets.push(...(await loadTensorSource(t, o)));
  return sets;
}
