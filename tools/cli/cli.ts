/**
 * Builds the commander program. Only the command being run is imported (`--help` without a
 * command imports all of them to list their flags), so start-up stays fast.
 */
import { Command } from 'commander';
import { COMMANDS, type CommandEntry } from './commands/index.js';
import type { CommandSpec } from './command.js';
import { createIO, type CommandIO } from './io.js';
import { isEdgeError } from '../../sdk/internal.js';
import { asFlagError, flagTable, withNextStep } from './option-errors.js';
import { VERSION } from '../../sdk/internal.js';

export interface CliResult {
  /** Result object of the command that ran, if any. */
  result?: unknown;
  /** Non-zero when the command ran but its result is a failure (see `CommandSpec.exitStatus`). */
  exitCode?: number;
}

function matchCommand(argv: string[]): CommandEntry | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  const two = words.slice(0, 2).join(' ');
  return COMMANDS.find((c) => c.name === two) ?? COMMANDS.find((c) => c.name === words[0]);
}

function attach(
  program: Command,
  spec: CommandSpec<any>,
  holder: CliResult,
  makeIO: (json: boolean) => CommandIO,
): void {
  const parts = spec.name.split(' ');
  let parent = program;
  for (const part of parts.slice(0, -1)) {
    parent = parent.commands.find((c) => c.name() === part) ?? parent.command(part).description(`${part} commands`);
  }
  const cmd = parent.command(parts[parts.length - 1]!).description(spec.summary);
  spec.configure(cmd);
  cmd.option('--json', 'print one JSON object on stdout instead of text');
  if (spec.examples.length) cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}`);
  cmd.action(async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = command.opts();
    const args = command.args;
    const io = makeIO(Boolean(options.json));
    let result: unknown;
    try {
      result = await spec.run(args, options, io);
    } catch (err) {
      const mapped = asFlagError(err, flagTable(cmd, spec.optionFlags));
      const next = isEdgeError(mapped) ? spec.nextStep?.(mapped) : undefined;
      throw next !== undefined && isEdgeError(mapped) ? withNextStep(mapped, next) : mapped;
    }
    holder.result = result;
    if (io.json) process.stdout.write(`${JSON.stringify(result, jsonReplacer, 2)}\n`);
    else spec.render(result, io);
    const status = spec.exitStatus?.(result, options);
    if (status && status.code !== 0) {
      io.note(`error: ${status.reason}`);
      holder.exitCode = status.code;
    }
  });
}

/** JSON.stringify replacer: bigints as numbers when safe, typed arrays as plain arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** Parses `argv` (without node and script) and runs the command. */
export async function runCli(
  argv: string[],
  makeIO: (json: boolean) => CommandIO = (json) => createIO(json),
): Promise<CliResult> {
  const holder: CliResult = {};
  const program = new Command('ringmoe-edge')
    .description('Build, prune, quantize, compile, ship and run RingMoE models on edge devices.')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const match = matchCommand(argv);
  const entries = match ? [match] : COMMANDS;
  for (const entry of entries) {
    const { spec } = await entry.load();
    attach(program, spec, holder, makeIO);
  }
  await program.parseAsync(argv, { from: 'user' });
  return holder;
}
