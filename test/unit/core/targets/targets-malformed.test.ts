/**
 * Malformed profiles (test/fixtures/targets/*.json: real profiles with defects) are refused with
 * E_TARGET_PROFILE naming the file and every bad field in one error.
 */
import test from 'ava';
import { join } from 'node:path';
import { isEdgeError } from '../../../../sdk/core/errors.js';
import { loadTarget, TargetProfileError, validateTargetProfile } from '../../../../sdk/core/targets/index.js';
import { REPO_ROOT } from '../../../helpers/shared-data.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'targets');
const fixture = (name: string) => join(FIXTURES, `${name}.json`);

async function refused(name: string): Promise<TargetProfileError> {
  const err = await loadTarget(fixture(name)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof TargetProfileError))
    throw new Error(`${name}: expected a TargetProfileError, got ${String(err)}`);
  return err;
}

/** Asserts the error is E_TARGET_PROFILE for this fixture and lists exactly these fields. */
async function expectIssues(
  t: import('ava').ExecutionContext,
  name: string,
  fields: string[],
  pattern?: RegExp,
): Promise<TargetProfileError> {
  const err = await refused(name);
  t.true(isEdgeError(err, 'E_TARGET_PROFILE'));
  t.is(err.file, fixture(name));
  t.true(err.message.includes(`${name}.json`), 'message names the file');
  t.deepEqual(
    err.issues.map((i) => i.field),
    fields,
  );
  for (const f of fields) t.true(err.message.includes(`- ${f}: `), `message lists ${f}`);
  if (pattern) t.regex(err.message, pattern);
  return err;
}

test('EXPECTED FAILURE - missing field: names memory.bandwidthGBps', async (t) => {
  await expectIssues(t, 'missing-field', ['memory.bandwidthGBps'], /missing required field/);
});

test('EXPECTED FAILURE - wrong type: a string where an integer belongs', async (t) => {
  await expectIssues(
    t,
    'wrong-type',
    ['gpu.cudaCores.value'],
    /expected an integer >= 1 but received "1024" \(string\)/,
  );
});

test('EXPECTED FAILURE - DLA precision without DLA cores', async (t) => {
  await expectIssues(t, 'dla-precision-without-dla', ['dla.precisions'], /\["int8"\] but dla.count is 0/);
});

test('EXPECTED FAILURE - unknown default power mode', async (t) => {
  await expectIssues(
    t,
    'unknown-default-power-mode',
    ['power.modeSets[0].defaultMode'],
    /"20W" is not one of the modes of set "original" \(15W, 7W\)/,
  );
});

test('EXPECTED FAILURE - negative memory', async (t) => {
  await expectIssues(t, 'negative-memory', ['memory.totalGiB.value'], /expected a number > 0 but received -8/);
});

test('EXPECTED FAILURE - malformed TensorRT version on a JetPack line', async (t) => {
  await expectIssues(t, 'bad-tensorrt-version', ['software[0].tensorrt.value'], /"8\.5\.x"/);
});

test('EXPECTED FAILURE - not JSON at all', async (t) => {
  await expectIssues(t, 'not-json', ['(file)'], /not valid JSON/);
});

test('EXPECTED FAILURE - truncated JSON says the file ends early', async (t) => {
  await expectIssues(t, 'truncated', ['(file)'], /ends after \d+ characters: is it truncated\?/);
});

test('EXPECTED FAILURE - every structural problem is reported at once, with a did-you-mean for a misspelled field', async (t) => {
  const err = await expectIssues(t, 'many-structural-problems', [
    'gpu.cudaCores.value',
    'memory.bandwidthGBps',
    'dla.count.confidence',
    'power.modeSets[1].modes[0].watt',
    'software[2].tensorrt.value',
  ]);
  t.regex(err.message, /5 problems/);
  t.regex(err.message, /unknown field; did you mean "watts"\?/);
  t.regex(err.message, /received "certain"/);
});

test('EXPECTED FAILURE - every cross-field rule violation is reported at once', async (t) => {
  const err = await expectIssues(t, 'many-rule-problems', [
    'gpu.cudaCores.source',
    'dla.precisions',
    'throughput.published.int8DenseTops.value',
    'reserve',
    'power.modeSets[1].defaultMode',
  ]);
  t.regex(err.message, /"confirmed" value needs a source URL/);
  t.regex(err.message, /25 is not 40 \/ 2 = 20/);
  t.regex(err.message, /reserve \(8\.25 GiB\) must be smaller than memory.totalGiB \(8 GiB\)/);
  // --json output carries the same list for programs
  t.is((err.toJSON() as { issues: unknown[] }).issues.length, 5);
  t.is(
    err.field,
    'gpu.cudaCores.source, dla.precisions, throughput.published.int8DenseTops.value, reserve, power.modeSets[1].defaultMode',
  );
});

test('a valid user profile given by path loads, with its own id and aliases', async (t) => {
  const p = await loadTarget(fixture('valid-user-board'));
  t.is(p.id, 'valid-user-board');
  t.deepEqual(p.aliases, ['my-board']);
  t.deepEqual(p.warnings, []);
});

test('BAD CALL - validateTargetProfile on non-objects reports instead of throwing', (t) => {
  for (const value of [null, 42, 'jetson', [], undefined]) {
    const r = validateTargetProfile(value, 'inline.json');
    t.is(r.profile, undefined);
    t.is(r.errors.length, 1);
    t.regex(r.errors[0]!.message, /expected an object/);
  }
  const empty = validateTargetProfile({}, 'inline.json');
  t.deepEqual(
    empty.errors.map((e) => e.field),
    ['schemaVersion', 'id', 'name', 'kind', 'cpu', 'memory', 'reserve', 'throughput', 'software'],
  );
});

test('BAD CALL - kind-specific sections: a cpu target with a GPU, a jetson without DLA or power', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const cpu = JSON.parse(await readFile(join(REPO_ROOT, 'targets', 'cpu-x86-64-onnxruntime.json'), 'utf8'));
  const nano = JSON.parse(await readFile(join(REPO_ROOT, 'targets', 'jetson-orin-nano-8gb.json'), 'utf8'));
  const withGpu = validateTargetProfile({ ...cpu, gpu: nano.gpu }, 'cpu-with-gpu.json');
  t.deepEqual(
    withGpu.errors.map((e) => e.field),
    ['gpu'],
  );
  const { dla: _dla, power: _power, ...bare } = nano;
  const bareJetson = validateTargetProfile(bare, 'bare.json');
  t.deepEqual(
    bareJetson.errors.map((e) => e.field),
    ['dla', 'power'],
  );
  const unifiedGpu = validateTargetProfile(
    { ...nano, memory: { ...nano.memory, unified: { value: false, confidence: 'assumed', note: 'x' } } },
    'u.json',
  );
  t.regex(unifiedGpu.errors[0]!.message, /Jetson memory is unified/);
});
