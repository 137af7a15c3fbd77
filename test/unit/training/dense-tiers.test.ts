/**
 * tools/scripts/dense-tiers.ts: which tiers it rebuilds and with how many epochs (the rebuild
 * itself trains for minutes; the packages it writes are checked by trained-dense.test.ts).
 */
import test from 'ava';
import { parseDenseTiersArgs } from '../../../tools/scripts/dense-tiers.js';

test('parseDenseTiersArgs: every tier and 20 epochs by default, tiers in the order given once each', (t) => {
  t.deepEqual(parseDenseTiersArgs([]), { tiers: ['kc', 'ks', 'ka'], epochs: 20, convertOnly: false });
  t.deepEqual(parseDenseTiersArgs(['ka', 'ks', 'ka', '--epochs', '5']), { tiers: ['ka', 'ks'], epochs: 5, convertOnly: false });
  t.deepEqual(parseDenseTiersArgs(['--convert-only', 'kc']), { tiers: ['kc'], epochs: 20, convertOnly: true });
});

test('parseDenseTiersArgs: an unknown tier or a bad --epochs is a coded usage error', (t) => {
  t.throws(() => parseDenseTiersArgs(['ep']), { message: /^E_USAGE: unknown argument "ep"/ });
  t.throws(() => parseDenseTiersArgs(['--epochs']), { message: /^E_USAGE: --epochs needs a whole number/ });
  t.throws(() => parseDenseTiersArgs(['--epochs', '2.5']), { message: /^E_USAGE: --epochs/ });
  t.throws(() => parseDenseTiersArgs(['--epochs', '0']), { message: /^E_USAGE: --epochs/ });
});
