/**
 * Access to the real data in ../shared/data (beside a developer checkout; absent in a user's fresh
 * clone). Tests that need it call `sharedDataOrSkip` and skip visibly when it is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Repository root. */
export const REPO_ROOT = repoRoot;

/** ../shared/data beside the repository, or RINGMOE_SHARED_DATA. */
export const SHARED_DATA = process.env.RINGMOE_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data');

/** Absolute path of a file under the shared data folder, or undefined if it is absent. */
export function sharedData(relative: string): string | undefined {
  const p = join(SHARED_DATA, relative);
  return existsSync(p) ? p : undefined;
}

/** True when the shared data folder exists. */
export const HAS_SHARED_DATA = existsSync(SHARED_DATA);

/**
 * Returns the path, or logs a visible skip note and returns undefined; the caller then returns
 * early after `t.pass()`. (ava cannot skip at run time, so the title carries the skip condition and
 * the log says it happened.)
 */
export function sharedDataOrSkip(t: ExecutionContext, relative: string): string | undefined {
  const p = sharedData(relative);
  if (!p) {
    t.log(`SKIPPED: ${relative} not found under ${SHARED_DATA} (../shared/data is only beside a developer checkout)`);
    t.pass();
  }
  return p;
}

/**
 * `test` when `condition` holds, else `test.skip` — so a test that needs ../shared or a GPU shows
 * up as skipped in ava's summary instead of silently passing.
 */
export function testIf<T>(condition: boolean, test: T & { skip: T }): T {
  return condition ? test : test.skip;
}
