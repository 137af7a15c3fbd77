/**
 * Hostile JSON in every kind of document ringmoe-edge reads: MQTT payloads, desired states, bundle
 * and package manifests, chunk requests, bdSeq files. Deep nesting, huge strings and oversize
 * documents are refused with their code, naming the document and the field, with no stack overflow
 * and memory bounded.
 */
import test from 'ava';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { parseJsonBounded } from '../../../sdk/core/json-limits.js';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { decodePayload } from '../../../sdk/mqtt/codec.js';
import { FileBdSeqStore } from '../../../sdk/mqtt/bdseq-store.js';
import { parseBundleManifest } from '../../../sdk/ota/bundle/bundle-check.js';
import { decodeChunkRequest } from '../../../sdk/ota/sources/chunk-protocol.js';
import { decodeDesired } from '../../../sdk/ota/fleet/desired-state.js';
import { checkBundleMatchesPackage } from '../../../sdk/ota/bundle/package-consistency.js';
import type { BundleManifest } from '../../../sdk/ota/bundle/bundle-manifest.js';
import type { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { tempDir } from '../../helpers/packages.js';
import { settledMemory } from '../../helpers/settled-memory.js';

const deep = (n: number) => Buffer.from(`{"a": ${'['.repeat(n)}${']'.repeat(n)}}`);
const noTrust = {} as TrustStore;

/** Each reader, given bytes. */
const readers: [string, (b: Buffer) => unknown][] = [
  ['MQTT payload', (b) => decodePayload(b, 'application/json', 'ringmoe/v1/north/drone-7/result/detection')],
  ['desired state', (b) => decodeDesired(b, noTrust)],
  ['bundle manifest', (b) => parseBundleManifest(b, 'bundle.json')],
  ['bundled package manifest', (b) => checkBundleMatchesPackage({ files: [] } as unknown as BundleManifest, b)],
  ['chunk request', (b) => decodeChunkRequest(b)],
];

function codeOf(f: () => unknown): EdgeError {
  try {
    f();
  } catch (err) {
    return err as EdgeError;
  }
  throw new Error('no error thrown');
}

for (const [name, read] of readers) {
  test(`${name}: nested 200,000 levels deep is E_JSON_TOO_DEEP (or over its byte limit), no stack overflow, memory bounded`, async (t) => {
    const before = await settledMemory();
    const err = codeOf(() => read(deep(200_000)));
    t.true(
      ['E_JSON_TOO_DEEP', 'E_JSON_TOO_LARGE', 'E_BUNDLE_INVALID'].includes(err.code),
      `${err.code}: ${err.message}`,
    );
    if (err.code === 'E_BUNDLE_INVALID') t.regex(err.message, /limit/);
    const small = codeOf(() => read(deep(100)));
    t.is(small.code, 'E_JSON_TOO_DEEP', small.message);
    t.true((await settledMemory()) - before < 32 * 1024 * 1024, 'memory kept once garbage is collected');
  });
}

test('MQTT payload: a 100 MB string is refused from its size (E_JSON_TOO_LARGE); a 20 MB string in a smaller payload names its field (E_JSON_STRING_TOO_LONG)', (t) => {
  const huge = Buffer.alloc(100 * 1024 * 1024 + 12, 0x61);
  huge.write('{"mask": "', 0);
  huge.write('"}', huge.length - 2);
  t.is(codeOf(() => decodePayload(huge, 'application/json', 'topic')).code, 'E_JSON_TOO_LARGE');
  const long = Buffer.from(`{"result": {"mask": "${'a'.repeat(20 * 1024 * 1024)}"}}`);
  const err = codeOf(() => decodePayload(long, 'application/json', 'topic'));
  t.is(err.code, 'E_JSON_STRING_TOO_LONG');
  t.is(err.field, 'result.mask');
  t.is(err.file, 'topic');
});

test('the bounded parser names the field of a deep or long value, keys included, and parses what is within its limits', (t) => {
  const err = codeOf(() =>
    parseJsonBounded('{"entries": [{"x": 1}, {"inputs": [[[[1]]]]}]}', { maxDepth: 5 }, { file: 'f.json' }),
  );
  t.is(err.code, 'E_JSON_TOO_DEEP');
  t.is(err.field, 'entries[1].inputs[0][0]');
  const key = codeOf(() => parseJsonBounded(`{"files": {"${'k'.repeat(100)}": 1}}`, { maxStringLength: 50 }));
  t.is(key.code, 'E_JSON_STRING_TOO_LONG');
  t.regex(key.field!, /^files \(a key\)$/);
  t.deepEqual(parseJsonBounded('{"a": ["x\\"]", {"b": "\\\\"}]}', { maxDepth: 3, maxStringLength: 4 }), {
    a: ['x"]', { b: '\\' }],
  });
  t.is(codeOf(() => parseJsonBounded('{"a": 1', {}, { syntaxCode: 'E_PACKAGE_MANIFEST' })).code, 'E_PACKAGE_MANIFEST');
});

test('bdSeq file: nested, oversize or garbage content is reported as damage and does not stop the device', async (t) => {
  const dir = tempDir('bdseq-attack');
  const path = join(dir, 'bdseq.json');
  for (const body of [deep(200_000), Buffer.alloc(10_000, 0x7b), Buffer.from([0xde, 0xad, 0xbe, 0xef])]) {
    await writeFile(path, body);
    const store = await FileBdSeqStore.open(path, () => 2_000_000_000_000);
    t.is(store.damage?.code, 'E_STATE_DAMAGED');
    t.is(await store.next(), 2_000_000_000);
  }
});
