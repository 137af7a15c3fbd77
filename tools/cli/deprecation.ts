/**
 * Deprecation notes for old spellings that still work: each is printed once per process, on
 * stderr, so scripts using them keep running and their authors learn the new form.
 */
import type { CommandIO } from './io.js';

const noted = new Set<string>();

/** Notes once that `old` is deprecated in favour of `now`. */
export function noteDeprecated(io: Pick<CommandIO, 'note'>, old: string, now: string): void {
  if (noted.has(old)) return;
  noted.add(old);
  io.note(`deprecated: ${old} still works but will go; write ${now}`);
}
