import test from 'ava';
import { join } from 'node:path';
import { readModel } from '../../../tools/onnx/model-io.js';
import { elementCount } from '../../../tools/onnx/proto.js';
import { namedConfig, stageGeometry } from '../../../tools/ringmoe/config.js';
import { flops, macs } from '../../../tools/ringmoe/flops.js';
import { fullSelection, type ExpertSelection } from '../../../tools/ringmoe/params.js';
import { headParamsOf } from '../../../tools/planner/model-source.js';
import { tinyPackage } from '../../helpers/packages.js';

const within = (a: number, b: number, tol: number) => Math.abs(a - b) / b <= tol;
const dense: ExpertSelection = {
  modalities: ['optical'],
  modalPerModality: 0,
  collaborative: 0,
  shared: 0,
  dense: true,
};

test('paper config at 224²: the dense tier is ≈188 GMACs and the full activated path ≈430 GMACs (domain notes)', (t) => {
  const c = { ...namedConfig('ringmoe-14.7b'), inputSize: { height: 224, width: 224 } };
  const d = macs(c, dense).backbone;
  const full = macs(c, { ...fullSelection(c), modalities: ['optical'] }).backbone;
  t.true(within(d, 188e9, 0.02), `dense ${(d / 1e9).toFixed(1)} GMACs`);
  t.true(within(full, 430e9, 0.02), `activated ${(full / 1e9).toFixed(1)} GMACs`);
  t.is(flops(c, dense).backbone, 2 * d);
});

test('expert compute counts the activated experts (sparse) or every kept one (dense lowering), per token of every block', (t) => {
  const c = namedConfig('ringmoe-tiny');
  const sel = { ...fullSelection(c), modalities: ['optical'] };
  const perToken = (k: number) =>
    stageGeometry(c).reduce((s, g) => s + g.depth * g.height * g.width * k * 2 * g.dim * g.hidden, 0);
  t.is(macs(c, sel, { lowering: 'sparse' }).experts, perToken(3), 'one modal + one collaborative + shared');
  t.is(macs(c, sel, { lowering: 'dense' }).experts, perToken(4 + 4 + 1));
  t.is(macs(c, dense).experts, perToken(1));
  t.is(macs(c, { ...dense, denseHiddenMultiple: 3 }).experts, perToken(3));
  t.is(macs(c, { ...sel, collaborative: 1, modalPerModality: 1 }).routers, 0, 'no router with one expert per group');
  const two = macs(c, sel, { passes: 2 });
  t.is(two.backbone, 2 * macs(c, sel).backbone, 'change entries run the trunk twice');
  t.is(macs(c, sel, { batch: 4 }).total, 4 * macs(c, sel).total);
});

test('head parameters from the config equal the tensors a single-modality graph holds', async (t) => {
  const { dir } = await tinyPackage();
  const graph = (await readModel(join(dir, 'optical.onnx'))).proto.graph!;
  const derived = /\.(centres|signs|limits)\b/;
  const stored = graph.initializer
    .filter((x) => x.name.startsWith('head.') && !derived.test(x.name))
    .reduce((s, x) => s + elementCount(x.dims), 0);
  t.is(headParamsOf(namedConfig('ringmoe-tiny'), false), stored);
  const change = (await readModel(join(dir, 'change-optical.onnx'))).proto.graph!;
  const changeHead = change.initializer
    .filter((x) => x.name.startsWith('head.change'))
    .reduce((s, x) => s + elementCount(x.dims), 0);
  t.is(headParamsOf(namedConfig('ringmoe-tiny'), true), stored + changeHead);
});
