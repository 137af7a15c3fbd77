/**
 * The rules an update must pass before a byte of it is installed, one small function each:
 * addressed to this device, fresh (no replay, not expired), consistent with its desired state
 * (no mix-and-match), compatible (target, SDK version) and not a downgrade unless a signed
 * desired state asks for a rollback.
 */
import { EdgeError } from '../../core/errors.js';
import type { BundleManifest } from '../bundle/bundle-manifest.js';
import type { DesiredState } from '../fleet/desired-state.js';
import { compareSemVer } from '../bundle/semver.js';

/** Who the device is. */
export interface DeviceIdentity {
  fleet: string;
  device: string;
  /** The device's target id. */
  target: string;
  /** Further target ids whose bundles this device also runs (e.g. a generic `cpu-x86-64-onnxruntime`). */
  compatibleTargets?: string[];
}

/** The bundle a slot holds. */
export interface InstalledBundle {
  name: string;
  version: string;
  /** Bundle manifest sha256. */
  manifest: string;
}

/**
 * The desired state must name this device's fleet, and this device when it names one.
 * @throws EdgeError E_TARGET_MISMATCH
 */
export function checkAddressed(d: DesiredState, id: DeviceIdentity): void {
  if (d.fleet !== id.fleet)
    throw new EdgeError('E_TARGET_MISMATCH', `desired state is for fleet ${d.fleet}, this device is in ${id.fleet}`, {
      field: 'fleet',
    });
  if (d.device !== undefined && d.device !== id.device)
    throw new EdgeError('E_TARGET_MISMATCH', `desired state is for device ${d.device}, this is ${id.device}`, {
      field: 'device',
    });
}

/**
 * Replay and freeze protection. Returns `same` for the desired state already processed (a
 * retained message delivered again on reconnect), `new` for a newer one.
 * @param lastSeq highest seq this device processed, or undefined for none
 * @param lastManifest the manifest hash of that state (a same-seq message naming another bundle is a forgery attempt)
 * @throws EdgeError E_REPLAY (older seq, same seq with other content, or expired)
 */
export function checkFreshness(
  d: DesiredState,
  lastSeq: number | undefined,
  lastManifest: string | undefined,
  now: Date,
): 'new' | 'same' {
  if (lastSeq !== undefined && d.seq < lastSeq) {
    throw new EdgeError(
      'E_REPLAY',
      `desired state seq ${d.seq} is older than seq ${lastSeq} this device already processed (a replayed message)`,
      { field: 'seq' },
    );
  }
  if (lastSeq !== undefined && d.seq === lastSeq) {
    if (lastManifest !== undefined && d.bundle.manifestSha256 !== lastManifest) {
      throw new EdgeError(
        'E_REPLAY',
        `desired state seq ${d.seq} was already processed for another bundle; a new desired state needs a new seq`,
        { field: 'seq' },
      );
    }
    return 'same';
  }
  if (d.expiresAt !== undefined && Date.parse(d.expiresAt) < now.getTime()) {
    throw new EdgeError('E_REPLAY', `desired state expired at ${d.expiresAt} (now ${now.toISOString()})`, {
      field: 'expiresAt',
    });
  }
  return 'new';
}

/**
 * The target the desired state announces must be one this device runs (checked before fetching).
 * @throws EdgeError E_TARGET_MISMATCH
 */
export function checkTarget(target: string, id: DeviceIdentity, field = 'target'): void {
  const ok = [id.target, ...(id.compatibleTargets ?? [])];
  if (!ok.includes(target)) {
    throw new EdgeError(
      'E_TARGET_MISMATCH',
      `bundle is built for target ${target}; this device runs ${ok.join(', ')}`,
      { field },
    );
  }
}

/**
 * The fetched manifest must be the bundle the desired state describes (name, version, target),
 * so a valid old manifest cannot be swapped in under a new desired state.
 * @throws EdgeError E_BUNDLE_INVALID
 */
export function checkMatchesDesired(m: BundleManifest, d: DesiredState): void {
  for (const k of ['name', 'version', 'target'] as const) {
    if (m[k] !== d.bundle[k]) {
      throw new EdgeError(
        'E_BUNDLE_INVALID',
        `bundle manifest says ${k} ${JSON.stringify(m[k])} but the desired state says ${JSON.stringify(d.bundle[k])}`,
        { field: k },
      );
    }
  }
}

/**
 * Target and SDK compatibility.
 * @throws EdgeError E_TARGET_MISMATCH, E_SDK_VERSION
 */
export function checkCompatible(m: BundleManifest, id: DeviceIdentity, sdkVersion: string): void {
  checkTarget(m.target, id);
  if (compareSemVer(m.minSdkVersion, sdkVersion) > 0) {
    throw new EdgeError(
      'E_SDK_VERSION',
      `bundle ${m.name}@${m.version} needs SDK ${m.minSdkVersion} or newer; this device runs ${sdkVersion}`,
      {
        field: 'minSdkVersion',
        hint: 'update the device SDK first',
      },
    );
  }
}

/**
 * Anti-rollback: the new version must be higher than the running one, unless the desired state
 * is an explicitly signed rollback. Reinstalling the running version with other content is
 * refused too (a version names one content).
 * @throws EdgeError E_DOWNGRADE
 */
export function checkVersionOrder(
  m: BundleManifest,
  manifestSha256: string,
  current: InstalledBundle | undefined,
  rollback: boolean,
): void {
  if (!current) return;
  const c = compareSemVer(m.version, current.version);
  if (c > 0) return;
  if (c === 0 && manifestSha256 === current.manifest) return;
  if (rollback) return;
  if (c === 0) {
    throw new EdgeError(
      'E_DOWNGRADE',
      `bundle ${m.name}@${m.version} has the version already installed but other content; publish it under a new version`,
      { field: 'version' },
    );
  }
  throw new EdgeError(
    'E_DOWNGRADE',
    `bundle ${m.name}@${m.version} is older than the installed ${current.name}@${current.version}; a downgrade needs a desired state signed with rollback: true`,
    {
      field: 'version',
      hint: 'ringmoe-edge publish <bundle> --rollback',
    },
  );
}
