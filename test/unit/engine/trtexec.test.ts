import test from 'ava';
import { isEdgeError } from '../../../sdk/core/errors.js';
import type { EngineSpec } from '../../../sdk/runtime/engine-cache/build-spec.js';
import { parseTrtVersion, trtexecCommand } from '../../../tools/engine/trtexec.js';

const SPEC: EngineSpec = {
  entry: 'classifier',
  graph: 'graphs/classifier.onnx',
  precision: 'fp16',
  typing: 'auto',
  dlaCore: null,
  gpuFallback: true,
  workspaceMiB: 1024,
  profile: { min: 1, opt: 4, max: 8 },
  calibrationCache: null,
  timingCache: 'engines/timing.cache',
  optimizationLevel: 3,
};
const PATHS = {
  onnx: 'graphs/classifier.onnx',
  engine: 'classifier.plan',
  timingCache: 'timing.cache',
  calibrationCache: 'calib/classifier.cache',
};
const SHAPES = { image: [3, 224, 224] };
const line = (spec: Partial<EngineSpec>, version: string) =>
  trtexecCommand({ ...SPEC, ...spec }, parseTrtVersion(version), PATHS, SHAPES).line;

const SHAPE_FLAGS = '--minShapes=image:1x3x224x224 --optShapes=image:4x3x224x224 --maxShapes=image:8x3x224x224';

test('fp16 on TensorRT 8.5 (JetPack 5.1): MiB pool size without suffix, --buildOnly, no optimisation level', (t) => {
  const cmd = trtexecCommand(SPEC, parseTrtVersion('8.5.2'), PATHS, SHAPES);
  t.is(
    cmd.line,
    `trtexec --onnx=graphs/classifier.onnx --saveEngine=classifier.plan --fp16 --memPoolSize=workspace:1024 ${SHAPE_FLAGS} --timingCacheFile=timing.cache --buildOnly`,
  );
  t.deepEqual(cmd.notes, ['--builderOptimizationLevel needs TensorRT 8.6+; level 3 dropped']);
});

test('fp16 on TensorRT 8.6 (JetPack 6.0): optimisation level and --skipInference', (t) => {
  t.is(
    line({}, '8.6.2'),
    `trtexec --onnx=graphs/classifier.onnx --saveEngine=classifier.plan --fp16 --memPoolSize=workspace:1024 ${SHAPE_FLAGS} --timingCacheFile=timing.cache --builderOptimizationLevel=3 --skipInference`,
  );
});

test('fp16 on TensorRT 10.3 (JetPack 6.1): pool size with the M suffix', (t) => {
  t.is(
    line({}, '10.3'),
    `trtexec --onnx=graphs/classifier.onnx --saveEngine=classifier.plan --fp16 --memPoolSize=workspace:1024M ${SHAPE_FLAGS} --timingCacheFile=timing.cache --builderOptimizationLevel=3 --skipInference`,
  );
});

test('int8 with a calibration cache on TensorRT 8.5 and 10.3: --fp16 --int8 --calib', (t) => {
  t.regex(
    line({ precision: 'int8', calibrationCache: 'calib/c.cache' }, '8.5.2'),
    / --fp16 --int8 --calib=calib\/classifier\.cache /,
  );
  t.regex(
    line({ precision: 'int8', calibrationCache: 'calib/c.cache' }, '10.3.0'),
    / --fp16 --int8 --calib=calib\/classifier\.cache /,
  );
});

test('int8 from Q/DQ on TensorRT 10 strongly typed: --stronglyTyped and no precision flags', (t) => {
  const cmd = trtexecCommand({ ...SPEC, precision: 'int8', typing: 'strong' }, parseTrtVersion('10.16'), PATHS, SHAPES);
  t.regex(cmd.line, / --stronglyTyped /);
  t.notRegex(cmd.line, /--fp16|--int8|--calib/);
  t.regex(cmd.notes[0]!, /int8 comes from the graph's tensor types and Q\/DQ nodes/);
});

test('TensorRT 11: strongly typed by default, no --fp16/--int8 (removed in 11.0)', (t) => {
  const l = line({ precision: 'fp16' }, '11.1');
  t.regex(l, /--stronglyTyped/);
  t.notRegex(l, /--fp16|--int8/);
});

test('DLA core with GPU fallback on Xavier (8.5) and Orin (10.3)', (t) => {
  t.regex(line({ dlaCore: 0 }, '8.5.2'), / --fp16 --useDLACore=0 --allowGPUFallback --memPoolSize=workspace:1024 /);
  t.regex(
    line({ dlaCore: 1, gpuFallback: false, precision: 'int8', calibrationCache: 'c' }, '10.3.0'),
    / --useDLACore=1 --memPoolSize/,
  );
  t.notRegex(line({ dlaCore: 1, gpuFallback: false }, '10.3.0'), /allowGPUFallback/);
});

test('paths with spaces are shell-quoted; argv stays unquoted', (t) => {
  const cmd = trtexecCommand(SPEC, parseTrtVersion('10.3'), { ...PATHS, onnx: 'my graphs/a.onnx' }, SHAPES);
  t.is(cmd.argv[0], '--onnx=my graphs/a.onnx');
  t.true(cmd.line.startsWith("trtexec '--onnx=my graphs/a.onnx' "));
});

test('without input shapes a dynamic batch gets a note instead of wrong shape flags', (t) => {
  const cmd = trtexecCommand(SPEC, parseTrtVersion('10.3'), PATHS);
  t.notRegex(cmd.line, /Shapes/);
  t.regex(cmd.notes.join(' '), /needs --minShapes/);
});

const BAD: [string, () => unknown, RegExp][] = [
  [
    'calibration cache on TensorRT 11',
    () => line({ precision: 'int8', calibrationCache: 'c' }, '11.1'),
    /cannot use a calibration cache/,
  ],
  ['strong typing on TensorRT 8.6', () => line({ typing: 'strong' }, '8.6.2'), /need TensorRT 10 or newer/],
  ['weak typing on TensorRT 11', () => line({ typing: 'weak' }, '11.1'), /only strongly typed/],
  ['TensorRT 8.2 (JetPack 4.6)', () => parseTrtVersion('8.2.1'), /older than 8\.5/],
  ['a version that is not one', () => parseTrtVersion('ten'), /expected a TensorRT version/],
  [
    'an input name with a colon',
    () => trtexecCommand(SPEC, parseTrtVersion('10.3'), PATHS, { 'a:b': [3] }),
    /cannot express/,
  ],
];
for (const [name, fn, re] of BAD) {
  test(`BAD CALL - trtexec line for ${name} is refused`, (t) => {
    const err = t.throws(fn);
    t.true(isEdgeError(err, 'E_INVALID_ARGUMENT'));
    t.regex(err!.message, re);
  });
}
