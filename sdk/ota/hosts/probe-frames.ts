/**
 * Probe inputs for warm-up and health checks: deterministic pseudo-random tensors of an entry's
 * input shapes (batch 1), values in [-2, 2) — the range of normalised sensor frames.
 */
import { EdgeError } from '../../core/errors.js';
import type { EntryManifest } from '../../package/package-manifest.js';
import type { HostTensor } from '../../core/host-tensor.js';

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

/**
 * Inputs for one probe frame of `entry`.
 * @throws EdgeError E_INVALID_ARGUMENT for an input that is not float32 (probes feed sensor frames only)
 * @example
 * const feeds = probeFeeds(pkg.entry('optical'), 7);
 */
export function probeFeeds(entry: EntryManifest, seed = 1): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  entry.inputs.forEach((input, k) => {
    if (input.dtype !== 'float32') {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `entry ${entry.name} input ${input.name} is ${input.dtype}; probe frames are float32 sensor frames`,
        { field: `entries.${entry.name}` },
      );
    }
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const rnd = xorshift(seed * 7919 + k * 104729 + 1);
    for (let i = 0; i < data.length; i++) data[i] = rnd() * 4 - 2;
    feeds[input.name] = { dtype: 'float32', shape, data };
  });
  return feeds;
}
