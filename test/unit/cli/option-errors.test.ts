import test from 'ava';
import { Command } from 'commander';
import { EdgeError } from '../../../sdk/core/errors.js';
import { asFlagError, flagTable, withNextStep } from '../../../tools/cli/option-errors.js';

const cmd = new Command('prune')
  .option('--eval-frames <spec>')
  .option('-o, --out <dir>')
  .option('--modality <id>')
  .option('--stats <file>');
const flags = flagTable(cmd, { outDir: '--out', statsFile: '--stats' });

test('an option the library names becomes the flag that sets it: field, message and hint', (t) => {
  const e = asFlagError(
    new EdgeError('E_INVALID_ARGUMENT', 'fidelity must be measured on held-out frames; not with option outDir', {
      field: 'evalFrames',
      hint: 'pass option modality (e.g. sar-l2).',
    }),
    flags,
  ) as EdgeError;
  t.is(e.code, 'E_INVALID_ARGUMENT');
  t.is(e.field, '--eval-frames');
  t.is(e.hint, 'pass --modality (e.g. sar-l2).');
  t.is(
    e.message,
    '--eval-frames: fidelity must be measured on held-out frames; not with --out (pass --modality (e.g. sar-l2).)',
  );
  t.true(e.cause instanceof EdgeError);
});

test('errors about a file, options the command does not have, and other errors stay as they are', (t) => {
  const inFile = new EdgeError('E_CONFIG', 'entries must be a list', { file: 'pkg/ringmoe.json', field: 'modality' });
  t.is(asFlagError(inFile, flags), inFile);
  const unknown = new EdgeError('E_INVALID_ARGUMENT', 'see option threshold', { field: 'threshold' });
  t.is(asFlagError(unknown, flags), unknown);
  const plain = new Error('boom');
  t.is(asFlagError(plain, flags), plain);
});

test('a next step joins the hint, keeping file and field', (t) => {
  const e = withNextStep(
    new EdgeError('E_STATS_MISMATCH', 'measured on another package', {
      file: 'pkg/routing-stats.json',
      hint: 'calibrate this package',
    }),
    'ringmoe-edge calibrate <package> --frames <spec>',
  );
  t.is(
    e.message,
    'pkg/routing-stats.json: measured on another package (calibrate this package: ringmoe-edge calibrate <package> --frames <spec>)',
  );
  t.is(e.file, 'pkg/routing-stats.json');
});
