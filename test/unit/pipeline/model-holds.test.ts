import test from 'ava';
import type { LoadedModel } from '../../../sdk/pipeline/loaded-model.js';
import { ModelHolds } from '../../../sdk/pipeline/model-holds.js';

/** Stands in for a LoadedModel: ModelHolds only counts and disposes. */
function fakeModel(): LoadedModel & { disposals: number } {
  const m = { disposals: 0, dispose: async () => void m.disposals++ };
  return m as unknown as LoadedModel & { disposals: number };
}

test('a retired model is disposed once its last frame releases it, not before', (t) => {
  const holds = new ModelHolds();
  const a = fakeModel();
  holds.hold(a);
  holds.hold(a);
  holds.retire(a);
  t.is(a.disposals, 0);
  t.deepEqual(holds.retired, [a]);
  holds.release(a);
  t.is(a.disposals, 0);
  holds.release(a);
  t.is(a.disposals, 1);
  t.deepEqual(holds.retired, []);
  t.is(holds.inFlight, 0);
});

test('a model retired while unused is disposed at once', (t) => {
  const holds = new ModelHolds();
  const a = fakeModel();
  holds.retire(a);
  t.is(a.disposals, 1);
});

test('revive: a retired model that serves again (rollback) is not disposed when its old frames finish', (t) => {
  const holds = new ModelHolds();
  const a = fakeModel();
  holds.hold(a);
  holds.retire(a);
  holds.revive(a);
  holds.release(a);
  t.is(a.disposals, 0);
  t.deepEqual(holds.retired, []);
});

test('holds count frames in flight across models', (t) => {
  const holds = new ModelHolds();
  const [a, b] = [fakeModel(), fakeModel()];
  holds.hold(a);
  holds.hold(b);
  holds.hold(b);
  t.is(holds.inFlight, 3);
  holds.release(b);
  t.is(holds.inFlight, 2);
});
