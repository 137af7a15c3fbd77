/**
 * Reading device target profiles from disk: the shipped ones in the package's `targets/`
 * directory (or RINGMOE_TARGETS_DIR), and user profiles given by path.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { EdgeError, messageOf } from '../errors.js';
import { closestMatch } from './closest-match.js';
import { TargetProfileError, type ProfileIssue } from './issues.js';
import { findPackageRoot } from './package-root.js';
import type { TargetProfile } from './resolved.js';
import { validateTargetProfile } from './validate-profile.js';
import { isJsonLimitError, parseJsonBounded } from '../json-limits.js';

export { validateTargetProfile, assertValidTarget, type TargetValidation } from './validate-profile.js';

/** Environment variable that replaces the shipped targets directory. */
export const TARGETS_DIR_ENV = 'RINGMOE_TARGETS_DIR';
/** The schema file beside the profiles; not a profile itself. */
export const TARGET_SCHEMA_FILE = 'schema.json';

/** Where to look for profiles. */
export interface TargetLoadOptions {
  /** Targets directory; default RINGMOE_TARGETS_DIR, else `<package root>/targets`. */
  dir?: string;
  /** Base for relative profile paths; default the process working directory. */
  cwd?: string;
}

/**
 * The directory profiles are read from.
 * @example targetsDir() // ".../ringmoe-edge/targets"
 */
export function targetsDir(options: TargetLoadOptions = {}): string {
  if (options.dir) return resolve(options.cwd ?? process.cwd(), options.dir);
  const fromEnv = process.env[TARGETS_DIR_ENV];
  if (fromEnv) return resolve(options.cwd ?? process.cwd(), fromEnv);
  return join(findPackageRoot(import.meta.url), 'targets');
}

function isPathLike(idOrPath: string): boolean {
  return idOrPath.includes('/') || idOrPath.includes('\\') || idOrPath.endsWith('.json');
}

/** A device profile is a few KiB: 1 MiB, nesting 16, strings of 64 KiB. */
const PROFILE_JSON_LIMITS = { maxBytes: 1 << 20, maxDepth: 16, maxStringLength: 64 * 1024 };

/** Converts a JSON.parse failure into an issue with a line and column when V8 gives a position. */
function parseIssue(text: string, err: unknown): ProfileIssue {
  const msg = messageOf(err);
  const pos = /position (\d+)/.exec(msg);
  if (!pos) {
    const atEnd = /end of JSON input/i.test(msg)
      ? ` (the file ends after ${text.length} characters: is it truncated?)`
      : '';
    return { field: '(file)', message: `not valid JSON: ${msg}${atEnd}` };
  }
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  return { field: '(file)', message: `not valid JSON at line ${line}, column ${col}: ${msg}` };
}

async function readText(file: string, displayName: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new EdgeError('E_FILE_NOT_FOUND', 'device target profile not found', { file: displayName, cause: err });
    throw new EdgeError('E_IO', `cannot read device target profile: ${messageOf(err)}`, {
      file: displayName,
      cause: err,
    });
  }
}

/**
 * Reads, parses and validates one profile file.
 * @param requireIdMatchesFile true for profiles in a targets directory, whose file name is `<id>.json`
 * @throws EdgeError E_FILE_NOT_FOUND, E_IO, E_TARGET_PROFILE
 */
export async function readTargetFile(file: string, requireIdMatchesFile = false): Promise<TargetProfile> {
  const text = await readText(file, file);
  let json: unknown;
  try {
    json = parseJsonBounded(text, PROFILE_JSON_LIMITS, { file, what: 'device target profile' });
  } catch (err) {
    if (isJsonLimitError(err)) throw err;
    throw new TargetProfileError(file, [parseIssue(text, (err as { cause?: unknown }).cause ?? err)]);
  }
  const result = validateTargetProfile(json, file);
  const expected = basename(file).replace(/\.json$/, '');
  const id = (json as { id?: unknown } | null)?.id;
  const nameIssue: ProfileIssue | undefined =
    typeof id === 'string' && id !== expected
      ? { field: 'id', message: `"${id}" does not match the file name ${basename(file)} (expected "${expected}")` }
      : undefined;
  if (nameIssue && requireIdMatchesFile) result.errors.push(nameIssue);
  if (result.errors.length || !result.profile) throw new TargetProfileError(file, result.errors);
  if (nameIssue) result.profile.warnings.push(`${nameIssue.field}: ${nameIssue.message}`);
  return result.profile;
}

async function profileFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const hint = process.env[TARGETS_DIR_ENV] ? `check ${TARGETS_DIR_ENV}` : undefined;
    throw new EdgeError('E_FILE_NOT_FOUND', `device targets directory not readable: ${messageOf(err)}`, {
      file: dir,
      ...(hint ? { hint } : {}),
      cause: err,
    });
  }
  return names
    .filter((n) => n.endsWith('.json') && n !== TARGET_SCHEMA_FILE)
    .sort()
    .map((n) => join(dir, n));
}

/** id and aliases of each file that parses, ignoring broken ones (only used to suggest names). */
async function scanNames(dir: string): Promise<{ file: string; id: string; aliases: string[] }[]> {
  const out: { file: string; id: string; aliases: string[] }[] = [];
  for (const file of await profileFiles(dir)) {
    try {
      const j = parseJsonBounded(await readFile(file, 'utf8'), PROFILE_JSON_LIMITS, { file }) as {
        id?: unknown;
        aliases?: unknown;
      };
      if (typeof j.id !== 'string') continue;
      const aliases = Array.isArray(j.aliases) ? j.aliases.filter((a): a is string => typeof a === 'string') : [];
      out.push({ file, id: j.id, aliases });
    } catch {
      // a broken file cannot name a target; loading it by id reports its problems
    }
  }
  return out;
}

/**
 * Loads one profile by id, alias or path.
 * @param idOrPath a shipped id or alias (`jetson-orin-nano-8gb`, `orin-nano-8gb`), or a path to a
 *   user profile (anything with a slash or ending in `.json`)
 * @throws EdgeError E_UNKNOWN_TARGET (lists known ids and the closest), E_TARGET_PROFILE,
 *   E_FILE_NOT_FOUND, E_IO, E_INVALID_ARGUMENT (empty name)
 * @example const target = await loadTarget('jetson-agx-orin-64gb');
 */
export async function loadTarget(idOrPath: string, options: TargetLoadOptions = {}): Promise<TargetProfile> {
  if (typeof idOrPath !== 'string' || idOrPath.trim() === '') {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `Expected a target id or a profile path but received ${JSON.stringify(idOrPath)}`,
      { field: 'target' },
    );
  }
  if (isPathLike(idOrPath)) {
    const file = isAbsolute(idOrPath) ? idOrPath : resolve(options.cwd ?? process.cwd(), idOrPath);
    return readTargetFile(file);
  }
  const dir = targetsDir(options);
  const direct = join(dir, `${idOrPath}.json`);
  if (
    await stat(direct).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    return readTargetFile(direct, true);
  const names = await scanNames(dir);
  const byAlias = names.find((n) => n.aliases.includes(idOrPath));
  if (byAlias) return readTargetFile(byAlias.file, true);
  const known = names.map((n) => n.id).sort();
  const closest = closestMatch(idOrPath, [...known, ...names.flatMap((n) => n.aliases)]);
  const closestId = names.find((n) => n.id === closest || n.aliases.includes(closest ?? ''))?.id;
  throw new EdgeError(
    'E_UNKNOWN_TARGET',
    `unknown device target "${idOrPath}"${closestId ? `; did you mean "${closestId}"?` : '.'} Known targets: ${known.join(', ') || '(none)'}`,
    {
      field: 'target',
      hint: 'run `ringmoe-edge targets` to list them, or pass the path of your own profile (*.json)',
    },
  );
}

/**
 * Loads and validates every profile in the targets directory, sorted by id.
 * @throws EdgeError E_TARGET_PROFILE for the first malformed file or for ids/aliases used twice;
 *   E_FILE_NOT_FOUND when the directory is missing
 * @example for (const t of await listTargets()) console.log(t.id);
 */
export async function listTargets(options: TargetLoadOptions = {}): Promise<TargetProfile[]> {
  const dir = targetsDir(options);
  const profiles: TargetProfile[] = [];
  for (const file of await profileFiles(dir)) profiles.push(await readTargetFile(file, true));
  const owner = new Map<string, string>();
  for (const p of profiles) {
    for (const name of [p.id, ...p.aliases]) {
      const other = owner.get(name);
      if (other && other !== p.file) {
        throw new TargetProfileError(p.file, [
          { field: name === p.id ? 'id' : 'aliases', message: `"${name}" is already used by ${basename(other)}` },
        ]);
      }
      owner.set(name, p.file);
    }
  }
  return profiles.sort((a, b) => a.id.localeCompare(b.id));
}
