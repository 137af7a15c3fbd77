import test from 'ava';
import {
  AGENT_STATES,
  nextState,
  TRANSITIONS,
  type AgentState,
  type TransitionName,
} from '../../../../sdk/ota/agent/agent-states.js';

test('every state is reachable from starting and can get back to idle', (t) => {
  const reach = new Set<AgentState>(['starting']);
  for (let changed = true; changed;) {
    changed = false;
    for (const tr of Object.values(TRANSITIONS)) {
      if (tr.from.some((f) => reach.has(f)) && !reach.has(tr.to)) {
        reach.add(tr.to);
        changed = true;
      }
    }
  }
  t.deepEqual([...reach].sort(), [...AGENT_STATES].sort());
  for (const s of AGENT_STATES.filter((x) => x !== 'idle' && x !== 'starting')) {
    const seen = new Set<AgentState>([s]);
    for (let changed = true; changed;) {
      changed = false;
      for (const tr of Object.values(TRANSITIONS))
        if (tr.from.some((f) => seen.has(f)) && !seen.has(tr.to)) (seen.add(tr.to), (changed = true));
    }
    t.true(seen.has('idle'), `${s} leads back to idle`);
  }
});

test('the happy path and the rollback path are legal transition sequences', (t) => {
  const walk = (names: TransitionName[]) => names.reduce<AgentState>((s, n) => nextState(s, n), 'starting');
  t.is(
    walk([
      'started',
      'update-requested',
      'manifest-verified',
      'blobs-fetched',
      'staged',
      'loaded',
      'switched',
      'healthy',
      'committed',
    ]),
    'idle',
  );
  t.is(
    walk([
      'started',
      'update-requested',
      'manifest-verified',
      'blobs-fetched',
      'staged',
      'loaded',
      'switched',
      'unhealthy',
      'rolled-back',
    ]),
    'idle',
  );
  t.is(walk(['interrupted-rollback', 'rolled-back']), 'idle');
  t.is(walk(['resumed', 'rejected']), 'idle');
});

test('EXPECTED FAILURE - an illegal transition is E_INTERNAL naming where it may leave from', (t) => {
  const err = t.throws(() => nextState('idle', 'committed'));
  t.is((err as { code?: string }).code, 'E_INTERNAL');
  t.regex(err!.message, /transition committed cannot leave state idle \(allowed from committing\)/);
  t.throws(() => nextState('downloading', 'switched'));
});
