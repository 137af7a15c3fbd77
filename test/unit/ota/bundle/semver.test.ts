import test from 'ava';
import { compareSemVer, isSemVer, parseSemVer } from '../../../../sdk/ota/bundle/semver.js';

test('parses releases, pre-releases and build metadata', (t) => {
  t.like(parseSemVer('2.10.3'), { major: 2, minor: 10, patch: 3, prerelease: [], build: [] });
  t.deepEqual(parseSemVer('1.0.0-rc.1+build.7').prerelease, ['rc', '1']);
  t.deepEqual(parseSemVer('1.0.0-rc.1+build.7').build, ['build', '7']);
});

test('orders versions by semver precedence', (t) => {
  const sorted = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.9.0',
    '1.10.0',
    '2.0.0',
  ];
  for (let i = 1; i < sorted.length; i++)
    t.true(compareSemVer(sorted[i - 1]!, sorted[i]!) < 0, `${sorted[i - 1]} < ${sorted[i]}`);
  t.is(compareSemVer('1.0.0+a', '1.0.0+b'), 0, 'build metadata does not count');
  t.true(compareSemVer('1.10.0', '1.9.3') > 0, 'numeric, not lexical');
});

test('BAD CALL - leading zeros, a leading v, missing parts and huge numbers are not versions (E_INVALID_ARGUMENT naming the field)', (t) => {
  for (const bad of ['01.0.0', 'v1.0.0', '1.0', '1.0.0.0', '', '1.0.0-', '1.0.0-01', '99999999999999999999.0.0', 7]) {
    t.false(isSemVer(bad), String(bad));
    const err = t.throws(() => parseSemVer(bad, '--release'));
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
    t.regex(err!.message, /--release/);
  }
});
