/**
 * Raw tensors as runtime feeds: for models whose inputs are not images (run `--tensors`).
 */
import { EdgeError } from '../../sdk/internal.js';
import { openPackage } from '../../sdk/internal.js';
import type { HostTensor } from '../../sdk/internal.js';
import { hasBatchAxis, loadTensorSources } from './tensor-sources.js';

/**
 * The samples `specs` name (tensor-sources.ts forms), for one entry of the package at `pkg`
 * (`entryName`, else its only one): one feed per sample index, each input from its own source.
 * @throws EdgeError E_INVALID_ARGUMENT (no entry named, an input without tensors)
 */
export async function tensorFeeds(
  pkg: string,
  specs: string[],
  entryName: string | undefined,
): Promise<{ entry: string; feeds: { id: string; feeds: Record<string, HostTensor> }[] }> {
  const p = await openPackage(pkg, { verify: 'size' });
  const entries = p.manifest.entries;
  const entry = entryName !== undefined ? p.entry(entryName) : entries.length === 1 ? entries[0]! : undefined;
  if (!entry)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `package ${p.manifest.name} has several entries (${entries.map((e) => e.name).join(', ')}); name one with option entry`,
      { field: 'entry' },
    );
  const sets = await loadTensorSources(specs, {
    inputs: entry.inputs,
    maxFrames: Number.MAX_SAFE_INTEGER,
    field: 'tensors',
  });
  const lists = entry.inputs.map((input) => {
    const frames = sets.filter((s) => s.input === input.name).flatMap((s) => s.frames);
    if (frames.length === 0)
      throw new EdgeError('E_INVALID_ARGUMENT', `no tensors for input ${input.name} of entry ${entry.name}`, {
        field: 'tensors',
        hint: `add option tensors ${input.name}=<file.npy>`,
      });
    return { input, frames };
  });
  const count = Math.min(...lists.map((l) => l.frames.length));
  const feeds = Array.from({ length: count }, (_, k) => ({
    id: lists.map((l) => l.frames[k]!.id).join('+'),
    feeds: Object.fromEntries(
      lists.map(({ input, frames }) => {
        const f = frames[k]!;
        const shape = hasBatchAxis(input) ? [1, ...f.shape!] : f.shape!;
        return [
          input.name,
          f.dtype === 'int64'
            ? { dtype: 'int64' as const, shape, data: f.data as BigInt64Array }
            : { dtype: 'float32' as const, shape, data: f.data as Float32Array },
        ];
      }),
    ),
  }));
  return { entry: entry.name, feeds };
}
