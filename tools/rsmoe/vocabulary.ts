/**
 * The reference RS-MoE vocabulary and its tokenizer files: a WordPiece vocabulary of
 * remote-sensing caption and question words (with single letters, `##` letter pieces and digits
 * so any word still encodes), written as a Hugging Face `tokenizer.json` (BERT normaliser and
 * pre-tokenizer, WordPiece model and decoder) plus `tokenizer_config.json`. Any maintained
 * tokenizer library that reads tokenizer.json loads it; the SDK uses `@huggingface/tokenizers`.
 */
import { DEFAULT_ROUTER_TEMPLATES } from '../../sdk/internal.js';

export const SPECIAL_TOKENS = ['[PAD]', '[BOS]', '[EOS]', '[UNK]'] as const;

/** Caption and question words of remote-sensing scenes (RSICap / UCM / RSICD style). */
const WORDS = `
a an the this that these those there here it its is are was be been has have of in on at to from with by and or
but not no yes some many few several one two three four five six seven eight nine ten dozen number how what which
where who why when do does can see visible image scene picture photo aerial view top satellite remote sensing
describe caption question answer instruction expert theme objects relations list main kind place overall around
count counting finding placed relative each other near next beside between along across behind front left right
middle center centre edge corner side top bottom north south east west above below inside outside surrounded by
large small big little long short wide narrow tall high low dense sparse densely sparsely many lots bright dark
green white gray grey red blue brown black yellow
ship ships boat boats harbour harbor port dock docks pier piers sea ocean water river lake pond beach coast shore
bridge bridges road roads street streets highway intersection roundabout parking lot lots car cars vehicle vehicles
truck trucks bus train railway station airport runway plane planes airplane airplanes aircraft helicopter
building buildings house houses residential commercial industrial area areas district city town village urban rural
tree trees forest woods grass grassland field fields farmland crop crops farm meadow park garden playground
court courts tennis baseball basketball soccer football stadium track ground pool pools swimming church school
tank tanks storage oil container containers factory warehouse chimney tower towers power plant
mountain mountains hill hills desert sand bare land soil rock rocks snow ice cloud clouds shadow shadows
arranged lined parked moored docked running crossing passing located lying standing built covered full
rows row line lines group groups cluster clusters pattern regular irregular neatly
`;

/** The vocabulary in id order: specials, punctuation, digits, words, letters, `##` pieces. */
export function referenceVocabulary(): string[] {
  const templateWords = Object.values(DEFAULT_ROUTER_TEMPLATES).flatMap((t) => `${t.caption} ${t.vqa}`.split(/\s+/));
  const words = [...new Set([...WORDS.split(/\s+/), ...templateWords].filter((w) => /^[a-z]+$/.test(w)))];
  const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
  const digits = '0123456789'.split('');
  const punct = ['.', ',', '?', '!', ':', ';', "'", '-', '(', ')', '/'];
  const pieces = [...letters, ...digits].map((c) => `##${c}`);
  return [...new Set([...SPECIAL_TOKENS, ...punct, ...digits, ...words, ...letters, ...pieces])];
}

/** tokenizer.json for `vocab` (ids are positions). */
export function tokenizerJson(vocab: readonly string[]): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: vocab.indexOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** tokenizer_config.json for the reference tokenizer. */
export function tokenizerConfigJson(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: '[BOS]',
    eos_token: '[EOS]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    do_lower_case: true,
    clean_up_tokenization_spaces: true,
    model_max_length: 128,
  };
}
