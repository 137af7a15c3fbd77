import test from 'ava';
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  checkDesired,
  decodeDesired,
  DESIRED_FORMAT,
  encodeDesired,
  type DesiredState,
} from '../../../../sdk/ota/fleet/desired-state.js';
import { signDocument } from '../../../../sdk/core/signing/signature.js';
import { TrustStore } from '../../../../sdk/core/signing/trust-store.js';
import {
  checkAddressed,
  checkCompatible,
  checkFreshness,
  checkVersionOrder,
} from '../../../../sdk/ota/agent/update-policy.js';
import type { BundleManifest } from '../../../../sdk/ota/bundle/bundle-manifest.js';

const operator = generateKeyPairSync('ed25519');
const trust = TrustStore.fromKeys([
  { publicKey: operator.publicKey.export({ format: 'pem', type: 'spki' }) as string, roles: ['desired'] },
]);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function desired(over: Partial<DesiredState> = {}): DesiredState {
  return {
    format: DESIRED_FORMAT,
    formatVersion: 1,
    fleet: 'north',
    seq: 100,
    issuedAt: '2026-11-22T00:00:00.000Z',
    bundle: {
      name: 'drone-optical',
      version: '2.0.0',
      target: 'cpu-x86-64-onnxruntime',
      manifestSha256: sha('m'),
      manifestSize: 1000,
      signature: signDocument('bundle', Buffer.from('m'), operator.privateKey),
    },
    sources: { http: ['http://10.0.0.2:8080'] },
    ...over,
  };
}

const id = { fleet: 'north', device: 'drone-7', target: 'cpu-x86-64-onnxruntime' };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

test('a desired state round-trips through its signed envelope', (t) => {
  const d = desired();
  const out = decodeDesired(encodeDesired(d, operator.privateKey), trust);
  t.deepEqual(out.desired, d);
  t.is(out.keyId.length, 16);
});

test('EXPECTED FAILURE - malformed desired states are E_BUNDLE_INVALID listing every problem', (t) => {
  const err = t.throws(() =>
    checkDesired({ ...desired(), fleet: 'a b', seq: -1, sources: { http: ['ftp://x'] }, rollback: 'yes' }),
  );
  t.is((err as { code?: string }).code, 'E_BUNDLE_INVALID');
  for (const part of [
    /fleet must be a fleet id/,
    /seq must be a non-negative integer/,
    /sources\.http must be a list/,
    /rollback must be a boolean/,
  ])
    t.regex(err!.message, part);
  t.is(
    codeOf(() => decodeDesired(Buffer.alloc(20_000, 32), trust)),
    'E_BUNDLE_INVALID',
  );
});

test('freshness: same seq is a quiet repeat, older is a replay, expired is refused', (t) => {
  const now = new Date('2026-11-22T12:00:00Z');
  t.is(checkFreshness(desired({ seq: 101 }), 100, sha('m'), now), 'new');
  t.is(checkFreshness(desired({ seq: 100 }), 100, sha('m'), now), 'same');
  t.is(checkFreshness(desired({ seq: 100 }), undefined, undefined, now), 'new');
  t.is(
    codeOf(() => checkFreshness(desired({ seq: 99 }), 100, sha('m'), now)),
    'E_REPLAY',
  );
  t.is(
    codeOf(() => checkFreshness(desired({ seq: 100 }), 100, sha('other'), now)),
    'E_REPLAY',
  );
  t.is(
    codeOf(() => checkFreshness(desired({ seq: 101, expiresAt: '2026-11-22T11:00:00Z' }), 100, sha('m'), now)),
    'E_REPLAY',
  );
});

test('addressing: fleet and device must match', (t) => {
  t.is(
    codeOf(() => checkAddressed(desired(), id)),
    'none',
  );
  t.is(
    codeOf(() => checkAddressed(desired({ device: 'drone-7' }), id)),
    'none',
  );
  t.is(
    codeOf(() => checkAddressed(desired({ device: 'drone-8' }), id)),
    'E_TARGET_MISMATCH',
  );
  t.is(
    codeOf(() => checkAddressed(desired({ fleet: 'south' }), id)),
    'E_TARGET_MISMATCH',
  );
});

test('anti-rollback: higher passes, lower and same-version-other-content need a signed rollback', (t) => {
  const m = (version: string) => ({ name: 'drone-optical', version }) as BundleManifest;
  const current = { name: 'drone-optical', version: '2.0.0', manifest: sha('v2') };
  t.is(
    codeOf(() => checkVersionOrder(m('2.0.1'), sha('x'), current, false)),
    'none',
  );
  t.is(
    codeOf(() => checkVersionOrder(m('2.0.0-rc.1'), sha('x'), current, false)),
    'E_DOWNGRADE',
  );
  t.is(
    codeOf(() => checkVersionOrder(m('1.9.9'), sha('x'), current, false)),
    'E_DOWNGRADE',
  );
  t.is(
    codeOf(() => checkVersionOrder(m('1.9.9'), sha('x'), current, true)),
    'none',
  );
  t.is(
    codeOf(() => checkVersionOrder(m('2.0.0'), sha('x'), current, false)),
    'E_DOWNGRADE',
  );
  t.is(
    codeOf(() => checkVersionOrder(m('2.0.0'), sha('v2'), current, false)),
    'none',
  );
  t.is(
    codeOf(() => checkVersionOrder(m('0.0.1'), sha('x'), undefined, false)),
    'none',
    'a first install has nothing to compare with',
  );
});

test('compatibility: target (or a declared compatible one) and SDK version', (t) => {
  const m = { name: 'x', version: '1.0.0', target: 'cpu-x86-64-onnxruntime', minSdkVersion: '0.1.0' } as BundleManifest;
  t.is(
    codeOf(() => checkCompatible(m, id, '0.1.0')),
    'none',
  );
  t.is(
    codeOf(() => checkCompatible({ ...m, target: 'jetson-nano' }, id, '0.1.0')),
    'E_TARGET_MISMATCH',
  );
  t.is(
    codeOf(() =>
      checkCompatible({ ...m, target: 'jetson-nano' }, { ...id, compatibleTargets: ['jetson-nano'] }, '0.1.0'),
    ),
    'none',
  );
  t.is(
    codeOf(() => checkCompatible({ ...m, minSdkVersion: '0.2.0' }, id, '0.1.0')),
    'E_SDK_VERSION',
  );
});
