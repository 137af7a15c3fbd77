import test from 'ava';
import { isEdgeError } from '../../../../sdk/core/errors.js';
import {
  canonicalJson,
  differingFields,
  keyHash,
  normalizeKey,
  planStem,
  type EngineKey,
} from '../../../../sdk/runtime/engine-cache/key.js';

const BASE: EngineKey = {
  entry: 'classifier',
  graphSha256: 'a'.repeat(64),
  experts: ['s1.b0.modal.optical.1', 's1.b0.shared'],
  tensorrt: '10.3.0',
  computeCapability: '8.7',
  gpuName: 'Orin',
  target: { kind: 'gpu' },
  precision: 'fp16',
  typing: 'weak',
  profile: { min: 1, opt: 4, max: 8 },
  module: 'orin-nx-16gb',
  jetpack: '6.1',
};

const VARIANTS: [string, Partial<EngineKey>][] = [
  ['entry', { entry: 'segmenter' }],
  ['graphSha256', { graphSha256: 'b'.repeat(64) }],
  ['experts', { experts: ['s1.b0.modal.optical.2', 's1.b0.shared'] }],
  ['tensorrt', { tensorrt: '10.3.1' }],
  ['computeCapability', { computeCapability: '7.2' }],
  ['gpuName', { gpuName: 'Xavier' }],
  ['target', { target: { kind: 'dla', core: 0, gpuFallback: true } }],
  ['precision', { precision: 'int8' }],
  ['typing', { typing: 'strong' }],
  ['profile', { profile: { min: 1, opt: 4, max: 16 } }],
  ['module', { module: 'agx-orin-64gb' }],
  ['jetpack', { jetpack: '6.2' }],
];

for (const [field, change] of VARIANTS) {
  test(`key hash changes with ${field} and differingFields names it`, (t) => {
    const other = { ...BASE, ...change };
    t.not(keyHash(other), keyHash(BASE));
    t.deepEqual(differingFields(other, BASE), [field]);
  });
}

test('key hash is stable under field order, expert order and duplicate experts', (t) => {
  const reordered = Object.fromEntries(Object.entries(BASE).reverse()) as unknown as EngineKey;
  t.is(keyHash(reordered), keyHash(BASE));
  t.is(keyHash({ ...BASE, experts: ['s1.b0.shared', 's1.b0.modal.optical.1', 's1.b0.shared'] }), keyHash(BASE));
  t.is(keyHash(BASE), keyHash(normalizeKey(BASE)));
  t.is(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined }] }), '{"a":[2,{"d":3}],"b":1}');
});

test('DLA gpuFallback is part of the key', (t) => {
  t.not(
    keyHash({ ...BASE, target: { kind: 'dla', core: 0, gpuFallback: true } }),
    keyHash({ ...BASE, target: { kind: 'dla', core: 0, gpuFallback: false } }),
  );
});

test('plan stem names entry, precision, target and batch profile only', (t) => {
  t.is(planStem(BASE), 'classifier.fp16.gpu.b1-4-8');
  t.is(
    planStem({ ...BASE, target: { kind: 'dla', core: 1, gpuFallback: true }, precision: 'int8' }),
    'classifier.int8.dla1.b1-4-8',
  );
  t.is(planStem({ ...BASE, tensorrt: '8.6.2', graphSha256: 'c'.repeat(64) }), planStem(BASE));
});

const BAD: [string, Partial<EngineKey>, RegExp][] = [
  ['entry with a slash', { entry: '../x' }, /key\.entry/],
  ['short graph hash', { graphSha256: 'abc' }, /graphSha256/],
  ['version text', { tensorrt: 'ten' }, /tensorrt must be a version/],
  ['compute capability', { computeCapability: 'sm_87' }, /computeCapability/],
  ['profile order', { profile: { min: 4, opt: 2, max: 8 } }, /min <= opt <= max/],
  ['zero batch', { profile: { min: 0, opt: 1, max: 1 } }, /profile/],
  ['negative DLA core', { target: { kind: 'dla', core: -1, gpuFallback: true } }, /target\.core/],
];
for (const [name, change, re] of BAD) {
  test(`BAD CALL - engine key with ${name} is rejected`, (t) => {
    const err = t.throws(() => keyHash({ ...BASE, ...change }));
    t.true(isEdgeError(err, 'E_INVALID_ARGUMENT'));
    t.regex(err!.message, re);
  });
}
