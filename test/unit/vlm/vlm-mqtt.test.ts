/**
 * RS-MoE results over MQTT: a caption and an answer published through the runtime's publisher
 * (outbox, then broker) as result messages with the fused text and each expert's prompt.
 */
import test from 'ava';
import mqtt from 'mqtt';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { createVlmRuntime, SEEDED_WEIGHTS_NOTE, vlmResultId } from '../../../sdk/vlm/vlm-runtime.js';
import { startAedes } from '../../helpers/aedes.js';
import { aerialFrame, rsmoePackage } from '../../helpers/rsmoe-package.js';

test('caption and vqa results reach a subscriber with the prompts each expert received', async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'vlm-test-sub' });
  t.teardown(() => sub.endAsync());
  const got: { topic: string; payload: Record<string, unknown> }[] = [];
  sub.on('message', (topic, payload) => got.push({ topic, payload: JSON.parse(payload.toString('utf8')) }));
  await sub.subscribeAsync('ringmoe/north/drone-7/results/#', { qos: 1 });

  const { dir } = await rsmoePackage();
  const rt = await createVlmRuntime({
    package: dir,
    backend: new OrtBackend(),
    mqtt: { url: broker.url, fleet: 'north', device: 'drone-7' },
  });
  const cap = await rt.caption(aerialFrame('aero1'), { generation: { maxTokens: 6 } });
  const ans = await rt.ask(aerialFrame('aero1'), 'How many ships are in the harbour?', {
    generation: { maxTokens: 6 },
  });
  await rt.close();
  const deadline = Date.now() + 10_000;
  while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(got.map((g) => g.topic).sort(), [
    'ringmoe/north/drone-7/results/caption',
    'ringmoe/north/drone-7/results/vqa',
  ]);
  const vqa = got.find((g) => g.topic.endsWith('/vqa'))!.payload;
  const result = vqa.result as typeof ans;
  t.is(vqa.id, vlmResultId(ans));
  t.is(result.question, 'how many ships are in the harbour?');
  t.is(result.text, ans.text);
  t.deepEqual(
    result.experts.map((e) => e.prompt),
    ans.experts.map((e) => e.prompt),
  );
  t.true(result.experts.every((e) => e.prompt.includes('how many ships are in the harbour?')));
  t.is(result.note, SEEDED_WEIGHTS_NOTE);
  const caption = got.find((g) => g.topic.endsWith('/caption'))!.payload.result as typeof cap;
  t.is(caption.text, cap.text);
  t.is(caption.fusion.strategy, 'ordered-dedup');
  t.not(vlmResultId(ans), vlmResultId({ ...ans, question: 'is there a bridge?' }));
});
