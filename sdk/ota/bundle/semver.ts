/**
 * Semantic versions (semver 2.0.0): parsing and precedence, for bundle versions, minimum SDK
 * versions and anti-rollback. Build metadata (`+...`) is kept but ignored by comparisons, as the
 * spec says.
 */
import { EdgeError, type ErrorCode } from '../../core/errors.js';

/** A parsed semantic version. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Pre-release identifiers (`1.0.0-rc.1` → `['rc', '1']`); empty for a release. */
  prerelease: string[];
  /** Build metadata, ignored for precedence. */
  build: string[];
  /** The text it was parsed from. */
  raw: string;
}

const NUM = '(0|[1-9]\\d*)';
const IDENT = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const PATTERN = new RegExp(
  `^${NUM}\\.${NUM}\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

/** True when `text` is a valid semantic version (no leading `v`, no leading zeros). */
export function isSemVer(text: unknown): text is string {
  const m = typeof text === 'string' && text.length <= 128 ? PATTERN.exec(text) : null;
  return m !== null && [m[1], m[2], m[3]].every((x) => Number.isSafeInteger(Number(x)));
}

/**
 * Parses `text`.
 * @param name field name for the error, e.g. `version`
 * @throws EdgeError (code `code`, default E_INVALID_ARGUMENT) naming the field
 * @example
 * parseSemVer('2.1.0-rc.1', 'version').prerelease // ['rc', '1']
 */
export function parseSemVer(text: unknown, name = 'version', code: ErrorCode = 'E_INVALID_ARGUMENT'): SemVer {
  const m = typeof text === 'string' && text.length <= 128 ? PATTERN.exec(text) : null;
  if (!m) {
    throw new EdgeError(
      code,
      `${JSON.stringify(text)} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.1.0 or 2.1.0-rc.1)`,
      { field: name },
    );
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = Number(m[3]);
  if (![major, minor, patch].every(Number.isSafeInteger))
    throw new EdgeError(code, `${text} has a component too large to compare`, { field: name });
  return {
    major,
    minor,
    patch,
    prerelease: m[4] ? m[4].split('.') : [],
    build: m[5] ? m[5].split('.') : [],
    raw: text as string,
  };
}

function compareIdent(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an) return -1; // numeric identifiers sort before alphanumeric ones
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Precedence of two versions: negative when `a` < `b`, 0 when equal (build metadata ignored),
 * positive when `a` > `b`. A pre-release sorts before its release (`2.0.0-rc.1` < `2.0.0`).
 * @example
 * compareSemVer('1.10.0', '1.9.3') > 0 // true
 */
export function compareSemVer(a: SemVer | string, b: SemVer | string): number {
  const x = typeof a === 'string' ? parseSemVer(a) : a;
  const y = typeof b === 'string' ? parseSemVer(b) : b;
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (x[k] !== y[k]) return Math.sign(x[k] - y[k]);
  }
  if (x.prerelease.length === 0 || y.prerelease.length === 0)
    return Math.sign(y.prerelease.length - x.prerelease.length);
  for (let i = 0; i < Math.max(x.prerelease.length, y.prerelease.length); i++) {
    if (i >= x.prerelease.length) return -1;
    if (i >= y.prerelease.length) return 1;
    const c = compareIdent(x.prerelease[i]!, y.prerelease[i]!);
    if (c !== 0) return c;
  }
  return 0;
}
