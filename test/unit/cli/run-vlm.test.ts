/**
 * The RS-MoE path of the real `ringmoe-edge` executable: `reference rsmoe-tiny`, then `run --task
 * vqa --question` publishing to a broker, with the seeded-weights note on stderr.
 */
import { join } from 'node:path';
import test from 'ava';
import mqtt from 'mqtt';
import { runVlm } from '../../../tools/cli/commands/run-vlm.js';
import { startAedes } from '../../helpers/aedes.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';
import { tempDir } from '../../helpers/packages.js';

test('reference rsmoe-tiny → run --task vqa --question --broker: the answer on stdout (JSON) and as an MQTT result', async (t) => {
  const dir = join(tempDir('rsmoe-cli'), 'pkg');
  const ref = await cli(['reference', 'rsmoe-tiny', '-o', dir]);
  t.is(ref.code, 0, ref.stderr);
  t.regex(ref.stdout, /wrote rsmoe-tiny to .*7 entries/);
  t.regex(ref.stderr, /generated text is meaningless/);

  const broker = await startAedes();
  t.teardown(() => broker.close());
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'rsmoe-cli-sub' });
  t.teardown(() => sub.endAsync());
  const got: {
    topic: string;
    payload: { result: { question: string; text: string; experts: { prompt: string }[] } };
  }[] = [];
  sub.on('message', (topic, payload) => got.push({ topic, payload: JSON.parse(payload.toString('utf8')) }));
  await sub.subscribeAsync('ringmoe/north/+/results/#', { qos: 1 });

  const run = await cli([
    'run',
    dir,
    '--source',
    'examples/data/aerial/aero1.jpg',
    '--task',
    'vqa',
    '--question',
    'How many ships are in the harbour?',
    '--max-tokens',
    '6',
    '--backend',
    'onnxruntime',
    '--broker',
    broker.url,
    '--fleet',
    'north',
    '--device',
    'gs-1',
    '--json',
  ]);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /generated text is meaningless/);
  const r = JSON.parse(run.stdout) as {
    task: string;
    results: { question: string; text: string; experts: { id: string; prompt: string; tokens: number[] }[] }[];
    mqtt: { published: number; drained: boolean };
  };
  t.is(r.task, 'vqa');
  t.is(r.results[0]!.question, 'how many ships are in the harbour?');
  t.deepEqual(
    r.results[0]!.experts.map((e) => e.id),
    ['theme', 'objects', 'relations'],
  );
  t.true(r.results[0]!.experts.every((e) => e.tokens.length > 0 && e.tokens.length <= 6));
  t.like(r.mqtt, { published: 1, drained: true });
  const deadline = Date.now() + 10_000;
  while (got.length < 1 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  t.is(got[0]?.topic, 'ringmoe/north/gs-1/results/vqa');
  t.is(got[0]!.payload.result.text, r.results[0]!.text);
  t.deepEqual(
    got[0]!.payload.result.experts.map((e) => e.prompt),
    r.results[0]!.experts.map((e) => e.prompt),
  );

  // Bad flags fail before anything loads (in process: no need for another executable start).
  const io = { out: () => {}, note: () => {}, progress: () => ({ update: () => {}, stop: () => {} }) } as never;
  await t.throwsAsync(runVlm(dir, { source: 'examples/data/aerial/aero1.jpg', task: 'vqa' }, io), {
    code: 'E_INVALID_ARGUMENT',
    message: /--question/,
  } as never);
  await t.throwsAsync(
    runVlm(dir, { source: 'examples/data/aerial/aero1.jpg', task: 'vqa', question: 'x', modality: 'sar-l2' }, io),
    { code: 'E_INVALID_ARGUMENT' } as never,
  );
});
