"""The world's tokenizer: words, single digits and symbols, built offline in milliseconds.

    tokenizer = world_tokenizer()                 # a transformers PreTrainedTokenizerFast
    tokenizer.save_pretrained("out/")             # AutoTokenizer.from_pretrained("out/") loads it back
    tokenizer.decode(tokenizer("Tom has 7 + 5 = 12 apples.\\n")["input_ids"]) == "Tom has 7 + 5 = 12 apples.\\n"

Design (a ``tokenizers`` WordLevel model, so every ``transformers`` and TRL
path takes it as it takes any fast tokenizer):

* **Pieces.** A split pattern cuts text into a word with its leading space
  (``" apples"``), one digit with or without a leading space (``" 1"``, ``"2"``
  for `` 12``), a run of ``#``, one other symbol with its leading space, a
  newline, or a run of spaces. Then GPT-2's byte-level map writes the space
  as ``Ġ`` and the newline as ``Ċ``, and the byte-level decoder undoes it, so
  ``decode(encode(text)) == text`` for every text built from the vocabulary:
  solutions round-trip exactly, newlines included (the rollout format, one
  step per line, needs them).
* **One digit per token.** A number's value is then built from a few digit
  embeddings and a sum is a ones-digit table plus a carry; whole-number
  tokens would be 100+ unrelated symbols whose sums a tiny model would have
  to memorise one by one.
* **Vocabulary from the world itself.** Every word of every phrase, name and
  item (``world.tasks``), the digits and ``+ - * = . ? , ####``: about 80
  tokens, which keeps the embedding and softmax tiny and sampling fast
  (issue 13 runs GRPO on a CPU). Any other piece becomes ``<unk>``.
* **Specials.** ``<pad>`` (0), ``<s>``, ``</s>``, ``<unk>``; pad differs from
  eos so a real end of solution is never taken for padding. Nothing is added
  on encode (no ``<s>``): TRL encodes prompts with ``add_special_tokens=False``
  and the other paths with True, and both must give the same ids; training
  appends ``</s>`` itself.
"""
from __future__ import annotations

import re

from workbench.world.tasks import ITEMS, NAMES, PHRASES

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
SPLIT_PATTERN = r" ?[A-Za-z]+| ?[0-9]| ?#+| ?[^\sA-Za-z0-9#]|\n| +"
_EXTRA_WORDS = ("has How many does have so Then So The answer is more them".split()
                + ["+", "-", "*", "=", ".", "?", ",", "####", "\n", " "])


def vocabulary_texts() -> list[str]:
    """Texts whose pieces make the vocabulary: every name, pronoun, item and phrase word, digits, symbols."""
    words = [word for name in NAMES for word in name] + ITEMS + _EXTRA_WORDS
    for phrase in PHRASES:
        words += re.sub(r"\{\w+\}", " ", phrase.text).replace(".", " . ").split()  # placeholders are no words
    digits = [str(d) for d in range(10)]
    # each word and symbol both at the start of a text and after a space, each digit both ways too
    return [piece for word in words + digits for piece in (word, " " + word)]


def _pre_tokenizer():
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])


def world_tokenizer(*, model_max_length: int = 512):
    """A ``PreTrainedTokenizerFast`` over the world's vocabulary (see the module docstring).

    Deterministic: the same vocabulary and ids on every call and machine.
    """
    from tokenizers import Tokenizer, decoders
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    pre_tokenizer = _pre_tokenizer()
    pieces = {piece for text in vocabulary_texts() for piece, _ in pre_tokenizer.pre_tokenize_str(text)}
    vocab = {token: index for index, token in enumerate(SPECIALS + sorted(pieces - set(SPECIALS)))}
    core = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizer
    core.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=model_max_length)
