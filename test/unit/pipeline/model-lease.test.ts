import test from 'ava';
import type { LoadedModel } from '../../../sdk/pipeline/loaded-model.js';
import { ModelHolds } from '../../../sdk/pipeline/model-holds.js';
import { ModelLease } from '../../../sdk/pipeline/model-lease.js';

/** Stands in for a LoadedModel: leases only count and dispose. */
function fakeModel(): LoadedModel & { disposals: number } {
  const m = { disposals: 0, dispose: async () => void m.disposals++ };
  return m as unknown as LoadedModel & { disposals: number };
}

test('a lease holds its model until released; releasing twice gives back one hold only', (t) => {
  const holds = new ModelHolds();
  const a = fakeModel();
  const first = ModelLease.acquire(holds, a);
  const second = ModelLease.acquire(holds, a);
  t.is(first.model, a);
  t.is(holds.inFlight, 2);
  first.release();
  first.release();
  t.false(first.active);
  t.true(second.active);
  t.is(holds.inFlight, 1, 'the second release of one lease does not take the other lease’s hold');
  holds.retire(a);
  t.is(a.disposals, 0, 'a retired model still leased is not freed');
  second.release();
  t.is(a.disposals, 1);
  t.is(holds.inFlight, 0);
});
