import test from 'ava';
import { namedConfig, resolveConfig, stageGeometry } from '../../../tools/ringmoe/config.js';
import { attentionParams, backboneParams, fullSelection, tierFigures } from '../../../tools/ringmoe/params.js';

const within = (actual: number, expected: number, tol = 0.01) => Math.abs(actual - expected) / expected <= tol;

for (const attention of ['v1', 'v2'] as const) {
  test(`ringmoe-14.7b (${attention} attention) tiers match the released config within 1%: 14.74B / 6.53B / 4.48B / 1.06B`, (t) => {
    const c = { ...namedConfig('ringmoe-14.7b'), attention };
    const tiers = Object.fromEntries(tierFigures(c).map((x) => [x.tier, x.params]));
    t.true(within(tiers.full!, 14.74e9), `full ${tiers.full}`);
    t.true(within(tiers['single-modality']!, 6.53e9), `single ${tiers['single-modality']}`);
    t.true(within(tiers.ep!, 4.48e9), `ep ${tiers.ep}`);
    t.true(within(tiers.dense!, 1.06e9), `dense ${tiers.dense}`);
    t.true(within(tiers.activated!, 2.43e9), `activated ${tiers.activated}`);
  });
}

test('ringmoe-14.7b is v1 by default; its attention count is q/k/v/proj with biases plus one (2w-1)²×heads table per block', (t) => {
  const c = namedConfig('ringmoe-14.7b');
  t.is(c.attention, 'v1');
  // Stage windows 12/12/12/6 (the last clipped to its 6×6 map): tables of 23² or 11² rows.
  const want = stageGeometry(c).reduce(
    (s, g) => s + g.depth * (4 * g.dim * g.dim + 4 * g.dim + (2 * g.window - 1) ** 2 * g.heads),
    0,
  );
  const full = backboneParams(c, fullSelection(c));
  t.is(full.attention, want);
  t.is(full.total, 14_746_061_540);
  t.is(backboneParams({ ...c, attention: 'v2' }, fullSelection(c)).total, 14_746_126_628);
  t.is(attentionParams('v1', 8, 2, 4, 16), 4 * 64 + 4 * 8 + 49 * 2);
  t.is(attentionParams('v2', 8, 2, 4, 16), 4 * 64 + 3 * 8 + 2 + (3 * 16 + 16 * 2));
});

test('tier bytes are params at 4/2/1 bytes per parameter', (t) => {
  for (const tier of tierFigures(namedConfig('ringmoe-small'))) {
    t.is(tier.bytes.fp32, tier.params * 4);
    t.is(tier.bytes.fp16, tier.params * 2);
    t.is(tier.bytes.int8, tier.params);
  }
});

test('paper config geometry: stage widths 448/896/1792/3584, windows clipped at 192 input', (t) => {
  const g = stageGeometry(namedConfig('ringmoe-14.7b'));
  t.deepEqual(
    g.map((s) => s.dim),
    [448, 896, 1792, 3584],
  );
  t.deepEqual(
    g.map((s) => s.window),
    [12, 12, 12, 6],
  );
  t.deepEqual(
    g.map((s) => s.shift),
    [6, 6, 0, 0],
  );
  t.deepEqual(
    g.map((s) => s.hidden),
    [1792, 3584, 7168, 14336],
  );
});

test('expert parameters dominate: full minus single-modality is exactly the other modalities', (t) => {
  const c = namedConfig('ringmoe-small');
  const full = backboneParams(c, fullSelection(c));
  const one = backboneParams(c, { ...fullSelection(c), modalities: ['optical'] });
  t.true(full.experts > 0.9 * full.total - full.attention);
  t.true(one.total < full.total);
});

test('BAD CALL - unknown config name lists the known ones', (t) => {
  const err = t.throws(() => namedConfig('ringmoe-huge'));
  t.is((err as { code?: string }).code, 'E_UNKNOWN_CONFIG');
  t.regex(err!.message, /ringmoe-tiny, ringmoe-small, ringmoe-14\.7b/);
});

test('BAD CALL - config rules are reported all at once', (t) => {
  const err = t.throws(() => resolveConfig({ base: 'ringmoe-tiny', embedDim: 6, heads: [4, 5, 4, 4], window: 3 }));
  t.is((err as { code?: string }).code, 'E_CONFIG');
  t.regex(err!.message, /heads\[0\]=4 does not divide stage 1 width 6/);
  t.regex(err!.message, /heads\[1\]=5 does not divide stage 2 width 12/);
});

test('BAD CALL - unknown modality in a config names the field', (t) => {
  const err = t.throws(() =>
    resolveConfig({ base: 'ringmoe-tiny', modalities: ['optical', 'hyperspectral'] }, 'my-config.json'),
  );
  t.is((err as { code?: string }).code, 'E_UNKNOWN_MODALITY');
  t.regex(err!.message, /my-config\.json: modalities\[1\]: unknown modality "hyperspectral"/);
});

test('a new sensor can be declared with its channel count', (t) => {
  const c = resolveConfig({
    base: 'ringmoe-tiny',
    modalities: ['optical', { id: 'thermal', channels: 1, paperName: 'TIR', description: 'thermal infrared' }],
    fusion: [],
    change: [],
  });
  t.deepEqual(
    c.modalities.map((m) => m.id),
    ['optical', 'thermal'],
  );
  t.true(backboneParams(c, fullSelection(c)).embed > 0);
});
