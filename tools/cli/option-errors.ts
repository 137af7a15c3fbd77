/**
 * Library errors name the options of the call that went wrong (`field: 'evalFrames'`, "name one
 * with option entry"); the CLI speaks in flags. This maps one to the other for the command that
 * ran: an option whose name is a flag's attribute (`evalFrames` ↔ `--eval-frames`) maps by itself,
 * others through the command's `optionFlags`. Errors about a file's field are left alone.
 */
import type { Command } from 'commander';
import { EdgeError, isEdgeError } from '../../sdk/internal.js';

/** Library option name → flag, for the command `cmd` (its flags' attributes plus `extra`). */
export function flagTable(cmd: Command, extra: Readonly<Record<string, string>> = {}): Map<string, string> {
  const table = new Map<string, string>();
  for (const o of cmd.options) if (o.long) table.set(o.attributeName(), o.long);
  for (const [option, flag] of Object.entries(extra)) table.set(option, flag);
  return table;
}

/** `text` with every `option <name>` of a known option written as its flag. */
function withFlags(text: string, flags: Map<string, string>): string {
  return text.replace(
    /\boption ([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)/g,
    (whole, name: string) => flags.get(name) ?? whole,
  );
}

/**
 * `err` as the CLI shows it: a library error naming an option of this command names its flag
 * instead, in `field`, the message and the hint. Anything else is returned as it is.
 */
export function asFlagError(err: unknown, flags: Map<string, string>): unknown {
  if (!isEdgeError(err) || err.file !== undefined) return err;
  const flag = err.field !== undefined ? flags.get(err.field) : undefined;
  const prefix = err.field !== undefined ? `${err.field}: ` : '';
  const suffix = err.hint !== undefined ? ` (${err.hint})` : '';
  let body = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  if (suffix && body.endsWith(suffix)) body = body.slice(0, -suffix.length);
  const mapped = withFlags(body, flags);
  const hint = err.hint !== undefined ? withFlags(err.hint, flags) : undefined;
  if (flag === undefined && mapped === body && hint === err.hint) return err;
  const field = flag ?? err.field;
  return new EdgeError(err.code, mapped, {
    ...(field !== undefined ? { field } : {}),
    ...(hint !== undefined ? { hint } : {}),
    cause: err,
  });
}

/** `err` with `next` (a command line) added to its hint. */
export function withNextStep(err: EdgeError, next: string): EdgeError {
  const location =
    err.file !== undefined || err.field !== undefined ? [err.file, err.field].filter(Boolean).join(': ') + ': ' : '';
  const suffix = err.hint !== undefined ? ` (${err.hint})` : '';
  let body = err.message.startsWith(location) ? err.message.slice(location.length) : err.message;
  if (suffix && body.endsWith(suffix)) body = body.slice(0, -suffix.length);
  const hint = `${err.hint !== undefined ? `${err.hint}: ` : ''}${next}`;
  return new EdgeError(err.code, body, {
    ...(err.file !== undefined ? { file: err.file } : {}),
    ...(err.field !== undefined ? { field: err.field } : {}),
    hint,
    cause: err,
  });
}
