/**
 * The files a frame path names: one file, the frame files of a directory (not recursive), or a
 * glob — `*` and `?` within a path segment, `**` across directories (`flights/**\/*.tif`). One
 * implementation for every command that reads frames.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { hasExtension } from './extensions.js';

/** Whether `path` holds glob wildcards. */
export function isGlob(path: string): boolean {
  return /[*?]/.test(path);
}

/**
 * A glob as a regular expression over `/`-separated relative paths: `*` and `?` stay within a
 * segment, `**` spans any number of them (`a/**\/b` matches `a/b` too). Case-insensitive, so
 * `*.tif` finds `SCENE.TIF`.
 */
export function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

async function walk(dir: string, deep: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isFile()) out.push(p);
    else if (deep && e.isDirectory()) out.push(...(await walk(p, true)));
  }
  return out;
}

/** How {@link resolveFiles} reads a path. */
export interface ResolveFilesOptions {
  /** Extensions of the files a directory or glob contributes (a file named alone is taken as is). */
  extensions: readonly string[];
  /** The option that named the path, for errors (e.g. `frames`, `source`). */
  field: string;
}

/**
 * The files `path` names, sorted: the file itself; the files of a directory with one of
 * `o.extensions`; or the files a glob matches that have one of them.
 * @throws EdgeError E_FILE_NOT_FOUND when the path does not exist or no frame file matches
 */
export async function resolveFiles(path: string, o: ResolveFilesOptions): Promise<string[]> {
  const hint = `frames are ${o.extensions.join(' ')} files; quote a glob so the shell does not expand it`;
  let files: string[];
  if (!isGlob(path)) {
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new EdgeError('E_FILE_NOT_FOUND', `no such file or directory: ${path}`, { field: o.field });
    if (!st.isDirectory()) return [path];
    try {
      files = (await walk(path, false)).filter((f) => hasExtension(f, o.extensions));
    } catch (err) {
      throw new EdgeError('E_FILE_NOT_FOUND', `cannot list frames: ${messageOf(err)}`, {
        field: o.field,
        file: path,
        cause: err,
      });
    }
  } else {
    const parts = path.split(/[\\/]/);
    const first = parts.findIndex(isGlob);
    const base = parts.slice(0, first).join('/') || (path.startsWith('/') ? '/' : '.');
    const re = globRegex(parts.slice(first).join('/'));
    const deep = parts.slice(first).some((p) => p.includes('**')) || parts.length - first > 1;
    const all = await walk(base, deep).catch(() => [] as string[]);
    files = all.filter((f) => hasExtension(f, o.extensions) && re.test(relative(base, f).split(sep).join('/')));
  }
  if (files.length === 0)
    throw new EdgeError('E_FILE_NOT_FOUND', `no frame files match ${path}`, { field: o.field, hint });
  return files.sort();
}
