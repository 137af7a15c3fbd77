"""The word-level vocabulary of the tiny RS-MoE and a tokenizer that encodes exactly as the
package's tokenizer.json does under @huggingface/tokenizers (BERT normaliser: lower case; BERT
pre-tokenizer: split on whitespace and punctuation; WordPiece over whole words only, so a word not
in the vocabulary is [UNK])."""
import re

from .scenes import CLASS_NAMES, NUMBER_WORDS, REGIONS

SPECIAL = ['[PAD]', '[BOS]', '[EOS]', '[UNK]']
PUNCT = ['.', ',', '?', ':', ';', '!', "'", '-']

# The router's templates (sdk/vlm/router.ts DEFAULT_ROUTER_TEMPLATES), kept verbatim.
ROUTER_TEMPLATES = {
    'theme': {
        'caption': 'instruction : {instruction} expert : theme . describe the overall theme of the scene and what kind of place it is . answer :',
        'vqa': 'question : {question} expert : theme . answer the question from the overall theme of the scene . answer :',
    },
    'objects': {
        'caption': 'instruction : {instruction} expert : objects . list the main objects in the scene and how many there are . answer :',
        'vqa': 'question : {question} expert : objects . answer the question by finding and counting the objects in the scene . answer :',
    },
    'relations': {
        'caption': 'instruction : {instruction} expert : relations . describe where the objects are relative to each other . answer :',
        'vqa': 'question : {question} expert : relations . answer the question from how the objects are placed relative to each other . answer :',
    },
}

EXTRA_WORDS = '''a an the of in and is there what where how many main land cover classes class area mostly uniform
everywhere yes no describe this scene image picture caption question answer instruction'''

_SPLIT = re.compile(r"[^\W_]+|[^\w\s]|_")


def pre_tokenize(text):
    return _SPLIT.findall(text.lower())


def build_vocabulary():
    words = []
    for t in ROUTER_TEMPLATES.values():
        for s in t.values():
            words += pre_tokenize(s.replace('{instruction}', '').replace('{question}', ''))
    words += EXTRA_WORDS.split()
    for n in CLASS_NAMES:
        words += n.split()
    words += NUMBER_WORDS + list(REGIONS)
    vocab = list(SPECIAL) + list(PUNCT)
    for w in words:
        if w not in vocab:
            vocab.append(w)
    return vocab


class WordTokenizer:
    def __init__(self, vocab):
        self.vocab = list(vocab)
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        self.pad, self.bos, self.eos, self.unk = (self.ids[s] for s in SPECIAL)

    def encode(self, text):
        return [self.ids.get(w, self.unk) for w in pre_tokenize(text)]

    def decode(self, ids):
        return ' '.join(self.vocab[i] for i in ids if i >= len(SPECIAL))


def tokenizer_json(vocab):
    """tokenizer.json in the format tools/rsmoe/vocabulary.ts writes (WordPiece over whole words)."""
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [{'id': vocab.index(s), 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for s in SPECIAL],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': None,
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100,
                  'vocab': {t: i for i, t in enumerate(vocab)}},
    }


def tokenizer_config_json(max_len):
    return {'tokenizer_class': 'PreTrainedTokenizerFast', 'bos_token': '[BOS]', 'eos_token': '[EOS]', 'pad_token': '[PAD]',
            'unk_token': '[UNK]', 'do_lower_case': True, 'clean_up_tokenization_spaces': True, 'model_max_length': max_len}


def route(role, task, text):
    """The router's prompt for one expert (sdk/vlm/router.ts `route`): text lower-cased, spaces collapsed."""
    t = ' '.join(text.strip().lower().split())
    return ROUTER_TEMPLATES[role][task].replace('{instruction}', t).replace('{question}', t)
