/**
 * A config argument on the command line: a named config, or a JSON file with a written config.
 */
import { readFile } from 'node:fs/promises';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { NAMED_CONFIGS, resolveConfig, type RingMoEConfig, type WrittenRingMoEConfig } from './config.js';
import { isJsonLimitError, parseJsonBounded, syntaxMessage } from '../../sdk/internal.js';

/**
 * Resolves `arg` as a named config or, when it ends in .json, a config file.
 * @throws EdgeError E_UNKNOWN_CONFIG, E_CONFIG (naming the file), E_FILE_NOT_FOUND
 */
export async function loadConfigArg(arg: string): Promise<RingMoEConfig> {
  if (arg in NAMED_CONFIGS || !arg.endsWith('.json')) return resolveConfig(arg);
  let text: string;
  try {
    text = await readFile(arg, 'utf8');
  } catch (err) {
    throw new EdgeError('E_FILE_NOT_FOUND', `cannot read config file: ${messageOf(err)}`, { file: arg, cause: err });
  }
  let written: WrittenRingMoEConfig;
  try {
    written = parseJsonBounded(
      text,
      { maxBytes: 1 << 20, maxDepth: 16, maxStringLength: 64 * 1024 },
      { file: arg, what: 'config file' },
    ) as WrittenRingMoEConfig;
  } catch (err) {
    if (isJsonLimitError(err)) throw err;
    throw new EdgeError('E_CONFIG', `config file is not valid JSON: ${syntaxMessage(err)}`, { file: arg, cause: err });
  }
  return resolveConfig(written, arg);
}
