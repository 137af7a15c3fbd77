/**
 * Building the desired state a publisher signs and sends for a bundle.
 */
import { EdgeError } from '../../sdk/internal.js';
import { NAME_PATTERN } from '../../sdk/internal.js';
import { DESIRED_FORMAT, type BlobSources, type DesiredState } from '../../sdk/internal.js';
import type { BundleDir } from './bundle-dir.js';

/** Default lifetime of a desired state: 30 days. Re-publish (a new seq) to extend it. */
export const DEFAULT_DESIRED_EXPIRY_S = 30 * 24 * 3600;

/** Options of {@link desiredFor}. */
export interface DesiredOptions {
  fleet: string;
  /** Address one device instead of the fleet. */
  device?: string;
  /** Default: milliseconds since the epoch (increases with every publish). */
  seq?: number;
  sources: BlobSources;
  /** Sign permission to install a lower version. */
  rollback?: boolean;
  /**
   * Devices refuse the state after this many seconds (default {@link DEFAULT_DESIRED_EXPIRY_S}: a
   * state withheld or replayed late, a freeze attack, stops being applied).
   */
  expiresInS?: number;
  now?: Date;
}

/**
 * The desired state naming `bundle`.
 * @throws EdgeError E_SIGNATURE (the bundle is unsigned), E_INVALID_ARGUMENT
 * @example
 * const bytes = encodeDesired(desiredFor(bundle, { fleet: 'north', sources: { http: [server.url] } }), operatorKey);
 */
export function desiredFor(bundle: BundleDir, o: DesiredOptions): DesiredState {
  if (!bundle.signature)
    throw new EdgeError('E_SIGNATURE', 'bundle is not signed; devices would refuse it', {
      file: bundle.dir,
      hint: 'ringmoe-edge sign <bundle> --key <key>',
    });
  for (const [k, v] of [
    ['--fleet', o.fleet],
    ['--device', o.device],
  ] as const) {
    if (v !== undefined && !NAME_PATTERN.test(v))
      throw new EdgeError('E_INVALID_ARGUMENT', `${k} must be 1-64 characters from [A-Za-z0-9._-]`, { field: k });
  }
  const now = o.now ?? new Date();
  const seq = o.seq ?? now.getTime();
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new EdgeError('E_INVALID_ARGUMENT', '--seq must be a non-negative integer', { field: '--seq' });
  return {
    format: DESIRED_FORMAT,
    formatVersion: 1,
    fleet: o.fleet,
    ...(o.device !== undefined ? { device: o.device } : {}),
    seq,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (o.expiresInS ?? DEFAULT_DESIRED_EXPIRY_S) * 1000).toISOString(),
    bundle: {
      name: bundle.manifest.name,
      version: bundle.manifest.version,
      target: bundle.manifest.target,
      manifestSha256: bundle.manifestSha256,
      manifestSize: bundle.manifestBytes.length,
      signature: bundle.signature,
    },
    sources: o.sources,
    ...(o.rollback ? { rollback: true } : {}),
  };
}
