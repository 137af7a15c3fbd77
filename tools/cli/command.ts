/**
 * What a command module exports. The CLI is a thin router: it parses flags, builds the options
 * object, calls `run`, then prints the returned result as JSON (`--json`) or through `render`.
 */
import type { Command } from 'commander';
import type { EdgeError } from '../../sdk/internal.js';
import type { CommandIO } from './io.js';

export interface CommandSpec<R = unknown> {
  /** Name, possibly with a space for sub-commands (`fleet status`). */
  name: string;
  summary: string;
  /** Adds arguments and options to the commander command (no `--json`: the router adds it). */
  configure(cmd: Command): void;
  /** Example invocations for `--help`. */
  examples: string[];
  /** Does the work; returns the machine-readable result. `args` are the positional arguments. */
  run(args: string[], options: Record<string, unknown>, io: CommandIO): Promise<R>;
  /**
   * Library option names that are not the attribute of a flag of the same name, with the flag
   * that sets them (e.g. `{ modalities: '--modality' }`), so errors naming them name the flag.
   */
  optionFlags?: Readonly<Record<string, string>>;
  /**
   * The command to run next for a library error this command can tell how to fix (e.g. missing
   * routing statistics → `ringmoe-edge calibrate ...`); the router adds it to the error's hint.
   */
  nextStep?(err: EdgeError): string | undefined;
  /** Prints the result for people. */
  render(result: R, io: CommandIO): void;
  /**
   * The exit status a finished result calls for (after it was printed), with the line saying why;
   * undefined (or code 0) for success. A command that ran but failed its work (every frame of `run`
   * failed) says so here instead of throwing, so its summary is still printed.
   */
  exitStatus?(result: R, options: Record<string, unknown>): { code: number; reason: string } | undefined;
}

/** Exit with this code without the bug-report hint (the message is already clear). */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
  }
}
