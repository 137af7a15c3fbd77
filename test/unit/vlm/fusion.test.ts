import test from 'ava';
import { fuseAnswer, fuseCaption } from '../../../sdk/vlm/fusion.js';
import { route } from '../../../sdk/vlm/router.js';
import { DEFAULT_ROUTER_TEMPLATES } from '../../../sdk/vlm/router.js';

test('caption fusion keeps expert order, drops repeated and contained sentences', (t) => {
  const f = fuseCaption([
    { expert: 'theme', text: 'a harbour with a long pier. many ships', meanLogProb: -1 },
    { expert: 'objects', text: 'Many ships! twelve ships are moored in the harbour.', meanLogProb: -1 },
    {
      expert: 'relations',
      text: 'a harbour with a long pier . the ships are moored next to the pier',
      meanLogProb: -1,
    },
  ]);
  t.is(
    f.text,
    'a harbour with a long pier. many ships. twelve ships are moored in the harbour. the ships are moored next to the pier.',
  );
  t.deepEqual(f.contributions, { theme: 2, objects: 1, relations: 1 });
});

test('answer fusion: majority of normalised answers, ties to the higher mean log-probability, empty answers do not vote', (t) => {
  t.like(
    fuseAnswer([
      { expert: 'theme', text: 'Three.', meanLogProb: -3 },
      { expert: 'objects', text: 'three', meanLogProb: -2 },
      { expert: 'relations', text: 'two', meanLogProb: -0.1 },
    ]),
    { text: 'Three', votes: { three: 2, two: 1 }, agreeing: ['theme', 'objects'] },
  );
  t.is(
    fuseAnswer([
      { expert: 'theme', text: 'yes', meanLogProb: -2 },
      { expert: 'objects', text: 'no', meanLogProb: -0.5 },
      { expert: 'relations', text: ' . ', meanLogProb: 0 },
    ]).text,
    'no',
  );
  t.is(fuseAnswer([{ expert: 'theme', text: '', meanLogProb: 0 }]).text, '');
});

test('the router writes one prompt per expert with the question in it', (t) => {
  const experts = (['theme', 'objects'] as const).map(
    (role) => ({ id: role, role, prompts: DEFAULT_ROUTER_TEMPLATES[role] }) as never,
  );
  const r = route(experts, 'vqa', 'how many ships are in the harbour?');
  t.is(r.length, 2);
  t.true(r.every((p) => p.prompt.includes('how many ships are in the harbour?')));
  t.not(r[0]!.prompt, r[1]!.prompt);
  t.regex(
    route(experts, 'caption', 'describe this scene .')[1]!.prompt,
    /^instruction : describe this scene \. expert : objects/,
  );
});
