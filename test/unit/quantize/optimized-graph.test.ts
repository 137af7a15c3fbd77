/**
 * The optimised-graph listing: node types counted with their domain, most frequent first; a graph
 * onnxruntime cannot load is E_BACKEND_INIT naming the file; the temporary directory never stays.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isEdgeError } from '../../../sdk/core/errors.js';
import { countNodeTypes, optimizedNodeTypes } from '../../../tools/quantize/optimized-graph.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { tempDir } from '../../helpers/packages.js';

test('node types carry their domain and are listed most frequent first, ties by name', (t) => {
  const counts = countNodeTypes([
    { opType: 'Reshape', domain: '' },
    { opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft' },
    { opType: 'Add', domain: 'ai.onnx' },
    { opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft' },
    { opType: 'Reshape', domain: '' },
    { opType: 'Add', domain: '' },
    { opType: 'Conv', domain: 'com.microsoft.nchwc' },
  ]);
  t.deepEqual(Object.entries(counts), [
    ['Add', 2],
    ['com.microsoft.DynamicQuantizeMatMul', 2],
    ['Reshape', 2],
    ['com.microsoft.nchwc.Conv', 1],
  ]);
});

test('the trained Statlog fp32 graph, optimised as the runtime loads it: float Gemms, no integer kernels', async (t) => {
  const g = await optimizedNodeTypes(join(REPO_ROOT, 'models', 'ringmoe-statlog-ms', 'package', 'multispectral.onnx'));
  t.true((g.nodeTypes.Gemm ?? 0) > 0);
  t.is(g.nodeTypes['com.microsoft.DynamicQuantizeMatMul'], undefined);
  t.is(
    Object.values(g.nodeTypes).reduce((a, b) => a + b, 0),
    g.nodes,
  );
});

test('EXPECTED FAILURE - a file onnxruntime cannot load is E_BACKEND_INIT naming it', async (t) => {
  const file = join(tempDir('optimized'), 'not-onnx.onnx');
  await writeFile(file, 'not a model');
  const err = await t.throwsAsync(optimizedNodeTypes(file));
  t.true(isEdgeError(err, 'E_BACKEND_INIT'));
  t.is((err as { file?: string }).file, file);
});

test('the temporary directory is removed when the session fails', async (t) => {
  let seen = '';
  const err = await t.throwsAsync(
    optimizedNodeTypes('model.onnx', (_path, options) => {
      seen = options.optimizedModelFilePath!;
      return Promise.reject(new Error('no session'));
    }),
  );
  t.true(isEdgeError(err, 'E_BACKEND_INIT'));
  t.regex(err!.message, /no session/);
  t.truthy(seen);
  t.false(existsSync(join(seen, '..')));
});
