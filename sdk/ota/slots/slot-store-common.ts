/**
 * Checks shared by every {@link SlotStore} implementation, so both refuse the same misuse with
 * the same codes.
 */
import { EdgeError } from '../../core/errors.js';
import { invalidOption } from '../../core/validate.js';
import { isSafeRelativePath } from '../../package/manifest-check.js';
import type { BundleFile } from '../bundle/bundle-manifest.js';
import { parseBundleManifest } from '../bundle/bundle-check.js';
import type { SlotPointer } from './slot-store.js';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Throws unless `value` is a sha256 (64 lowercase hex digits); blob and slot ids are.
 * @throws EdgeError E_INVALID_ARGUMENT
 */
export function expectSha256(name: string, value: unknown): string {
  if (typeof value !== 'string' || !HEX64.test(value))
    throw invalidOption(name, 'a sha256 (64 lowercase hex digits)', value);
  return value;
}

/**
 * Throws unless every path of `files` is a safe relative path and every hash a sha256.
 * @throws EdgeError E_PATH_UNSAFE, E_INVALID_ARGUMENT
 */
export function expectSafeFiles(files: readonly BundleFile[]): void {
  for (const [i, f] of files.entries()) {
    if (!isSafeRelativePath(f.path))
      throw new EdgeError('E_PATH_UNSAFE', `path ${JSON.stringify(f.path)} would leave the slot directory`, {
        field: `files[${i}].path`,
      });
    expectSha256(`files[${i}].sha256`, f.sha256);
  }
}

/**
 * Checks a pointer value before it is written or after it is read.
 * @throws EdgeError E_INVALID_ARGUMENT (or `code`)
 */
export function checkPointer(p: unknown, code: 'E_INVALID_ARGUMENT' | 'E_IO' = 'E_INVALID_ARGUMENT'): SlotPointer {
  const r = p as Partial<SlotPointer> | null;
  const fail = (what: string) => new EdgeError(code, `slot pointer: ${what}`, { field: 'pointer' });
  if (typeof r !== 'object' || r === null) throw fail('must be an object');
  expectSha256('pointer.current', r.current);
  if (r.previous !== undefined) expectSha256('pointer.previous', r.previous);
  if (r.previous === r.current) throw fail('previous must differ from current');
  if (r.trial !== undefined && typeof r.trial !== 'boolean') throw fail('trial must be a boolean');
  if (r.trial && r.previous === undefined) throw fail('a trial needs a previous slot to fall back to');
  if (typeof r.at !== 'string') throw fail('at must be an ISO-8601 time');
  return {
    current: r.current!,
    ...(r.previous !== undefined ? { previous: r.previous } : {}),
    ...(r.trial ? { trial: true } : {}),
    at: r.at,
  };
}

/** The blob hashes a slot's bundle manifest lists. */
export function blobsOfBundle(bundleBytes: Uint8Array): string[] {
  return parseBundleManifest(bundleBytes, 'slot bundle.json').files.map((f) => f.sha256);
}
