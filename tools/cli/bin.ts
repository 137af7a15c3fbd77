/**
 * The CLI entry: the only place that calls process.exit. EdgeErrors print their code and message
 * (exit 1, or 2 for bad arguments); anything else is a bug and prints a report hint.
 */
import { CommanderError } from 'commander';
import { EdgeError } from '../../sdk/internal.js';
import { runCli } from './cli.js';
import { ExitError } from './command.js';
import { VERSION } from '../../sdk/internal.js';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  try {
    const { exitCode } = await runCli(argv);
    return exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    if (err instanceof ExitError) {
      if (err.message) process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof EdgeError) {
      if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      return err.code === 'E_INVALID_ARGUMENT' ? 2 : 1;
    }
    const e = err as Error;
    process.stderr.write(
      `internal error: ${e?.stack ?? String(err)}\n` +
        `This is a bug in ringmoe-edge ${VERSION} (node ${process.version}, ${process.platform}-${process.arch}); ` +
        'please report it with the command line that caused it.\n',
    );
    return 70;
  }
}

process.exitCode = await main();
