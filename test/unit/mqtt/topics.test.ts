import test from 'ava';
import { TopicScheme } from '../../../sdk/mqtt/topics.js';

test('topics are built under the prefix and parsed back', (t) => {
  const s = new TopicScheme('acme/ringmoe/v1');
  t.is(s.result('north', 'drone-7', 'detection'), 'acme/ringmoe/v1/north/drone-7/results/detection');
  t.is(s.birth('north', 'drone-7'), 'acme/ringmoe/v1/north/drone-7/birth');
  t.is(s.fleetFilter('north', 'results'), 'acme/ringmoe/v1/north/+/results/+');
  t.is(s.fleetFilter('north', 'results', 'gs'), '$share/gs/acme/ringmoe/v1/north/+/results/+');
  t.is(s.fleetFilter('north', 'death'), 'acme/ringmoe/v1/north/+/death');
  t.deepEqual(s.parse('acme/ringmoe/v1/north/drone-7/results/detection'), {
    fleet: 'north',
    device: 'drone-7',
    kind: 'results',
    task: 'detection',
  });
  t.deepEqual(s.parse('acme/ringmoe/v1/north/drone-7/state'), { fleet: 'north', device: 'drone-7', kind: 'state' });
  for (const other of [
    'ringmoe/north/drone-7/state',
    'acme/ringmoe/v1/north/drone-7/results',
    'acme/ringmoe/v1/north/drone-7/state/x',
    'acme/ringmoe/v1/north/drone-7/logs',
    'acme/ringmoe/v1/north',
  ]) {
    t.is(s.parse(other), undefined, other);
  }
});

test('BAD CALL - topic levels with wildcards, separators or system prefixes are refused', (t) => {
  const s = new TopicScheme();
  t.throws(() => s.result('north', 'drone+7', 'detection'), {
    message: /Expected a topic level .* for device but received "drone\+7"/,
  });
  t.throws(() => s.result('no#rth', 'd', 'detection'), { message: /for fleet/ });
  t.throws(() => s.result('north', 'd', 'a/b'), { message: /for task/ });
  t.throws(() => s.result('north', 'd', ''), { message: /for task/ });
  t.throws(() => new TopicScheme('$SYS/x'), { message: /options\.prefix/ });
  t.throws(() => new TopicScheme('a//b'), { message: /"" must be 1-64 characters/ });
  t.throws(() => new TopicScheme(''), { message: /options\.prefix/ });
  t.throws(() => s.fleetFilter('north', 'results', 'g/h'), { message: /for group/ });
});
