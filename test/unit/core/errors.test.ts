import test from 'ava';
import { readFileSync } from 'node:fs';
import { EdgeError, ERROR_CODES, isEdgeError } from '../../../sdk/core/errors.js';
import { expectInteger, expectOneOf, invalidOption, rejectUnknownKeys } from '../../../sdk/core/validate.js';
import { VERSION } from '../../../sdk/core/version.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { join } from 'node:path';

test('EdgeError message names file and field, and keeps its code', (t) => {
  const err = new EdgeError('E_PACKAGE_FILE_MISSING', 'weights/trunk.bin is listed but absent', {
    file: 'pkg/ringmoe.json',
    field: 'files["weights/trunk.bin"]',
  });
  t.is(err.code, 'E_PACKAGE_FILE_MISSING');
  t.is(err.message, 'pkg/ringmoe.json: files["weights/trunk.bin"]: weights/trunk.bin is listed but absent');
  t.true(isEdgeError(err, 'E_PACKAGE_FILE_MISSING'));
  t.false(isEdgeError(err, 'E_IO'));
  t.deepEqual(Object.keys(err.toJSON()).sort(), ['code', 'field', 'file', 'message']);
});

test('every error code is E_ + SCREAMING_SNAKE with a description', (t) => {
  for (const [code, text] of Object.entries(ERROR_CODES)) {
    t.regex(code, /^E_[A-Z0-9_]+$/);
    t.true(text.length > 10, code);
  }
});

test('BAD CALL - guards name the option and the received value', (t) => {
  const e1 = t.throws(() => expectInteger('options.batch', 2.5, 1, 64));
  t.is(
    e1?.message,
    'options.batch: Expected an integer between 1 and 64 for options.batch but received 2.5 of type number',
  );
  const e2 = t.throws(() => expectOneOf('backend', 'cuda', ['auto', 'onnxruntime', 'tensorrt'] as const));
  t.regex(e2!.message, /one of "auto", "onnxruntime", "tensorrt" for backend but received "cuda"/);
  const e3 = t.throws(() => rejectUnknownKeys('options', { bachSize: 1 }, ['batchSize', 'backend']));
  t.regex(e3!.message, /unknown option options.bachSize; did you mean options.batchSize\?/);
  t.is(invalidOption('x', 'a string', null).code, 'E_INVALID_ARGUMENT');
});

test('VERSION equals package.json version', (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  t.is(VERSION, pkg.version);
});
