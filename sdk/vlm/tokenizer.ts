/**
 * The package's tokenizer: `tokenizer.json` + `tokenizer_config.json` read from the package (never
 * downloaded) and loaded with `@huggingface/tokenizers`, a maintained pure-JS implementation of
 * the Hugging Face tokenizer formats (BPE, WordPiece, Unigram), so a real model's tokenizer works too.
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { EdgeError, messageOf } from '../core/errors.js';
import type { VlmManifest } from '../package/vlm-manifest.js';

export interface VlmTokenizer {
  /** Token ids of `text`, without special tokens. */
  encode(text: string): number[];
  /** Text of `ids`, special tokens left out. */
  decode(ids: readonly number[]): string;
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly vocabSize: number;
}

/**
 * Loads the tokenizer a package names.
 * @param path maps a package-relative path to a file path
 * @throws EdgeError E_IO (unreadable), E_PACKAGE_MANIFEST (not a tokenizer the library loads, or
 *   special ids out of its vocabulary)
 */
export async function loadVlmTokenizer(vlm: VlmManifest, path: (rel: string) => string): Promise<VlmTokenizer> {
  const read = async (rel: string): Promise<object> => {
    const file = path(rel);
    const text = await readFile(file, 'utf8').catch((err: unknown) => {
      throw new EdgeError('E_IO', `cannot read ${rel}: ${messageOf(err)}`, { file, cause: err });
    });
    try {
      return JSON.parse(text) as object;
    } catch (err) {
      throw new EdgeError('E_PACKAGE_MANIFEST', `${rel} is not valid JSON: ${messageOf(err)}`, { file, cause: err });
    }
  };
  const [json, config] = await Promise.all([read(vlm.tokenizer.file), read(vlm.tokenizer.config)]);
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (err) {
    throw new EdgeError(
      'E_PACKAGE_MANIFEST',
      `${vlm.tokenizer.file} is not a tokenizer @huggingface/tokenizers can load: ${messageOf(err)}`,
      { file: path(vlm.tokenizer.file), field: 'vlm.tokenizer', cause: err },
    );
  }
  const vocabSize = tok.get_vocab(true).size;
  for (const k of ['bos', 'eos', 'pad'] as const) {
    if (vlm.tokenizer[k] >= vocabSize)
      throw new EdgeError(
        'E_PACKAGE_MANIFEST',
        `vlm.tokenizer.${k} ${vlm.tokenizer[k]} is outside the tokenizer's ${vocabSize} tokens`,
        { field: `vlm.tokenizer.${k}` },
      );
  }
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tok.decode([...ids], { skip_special_tokens: true }),
    bos: vlm.tokenizer.bos,
    eos: vlm.tokenizer.eos,
    pad: vlm.tokenizer.pad,
    vocabSize,
  };
}
