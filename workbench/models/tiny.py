"""Tiny offline models and tokenizers built from configs: for tests, smoke runs and notebooks' exercises.

Nothing here downloads. :func:`word_tokenizer` is a whitespace word-level fast
tokenizer (offsets, chat template, optional pad == eos); :func:`tiny_reward_model`
builds a randomly initialised GPT-2, Llama or BERT reward model of a few hundred
thousand parameters around it.
"""
from __future__ import annotations

import string

from transformers import BertConfig, GPT2Config, LlamaConfig, PreTrainedTokenizerFast

SPECIALS = ["<unk>", "<pad>", "<s>", "</s>", "<user>", "<assistant>", "<system>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<assistant> {% endif %}"
)
DEFAULT_WORDS = [*string.ascii_lowercase, *[str(i) for i in range(100)],
                 *"good bad great awful kind rude helpful useless clear wrong right answer question the a is "
                  "of to and it i you what how why yes no please thanks".split()]


def word_tokenizer(words: list[str] | None = None, *, pad_equals_eos: bool = False,
                   chat_template: bool = True) -> PreTrainedTokenizerFast:
    """A word-level tokenizer: split on whitespace, unknown words -> ``<unk>``, no added specials."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit

    vocab = {w: i for i, w in enumerate(dict.fromkeys(SPECIALS + list(words or DEFAULT_WORDS)))}
    core = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
        pad_token="</s>" if pad_equals_eos else "<pad>")
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_config(arch: str = "gpt2", *, vocab_size: int = 256, hidden: int = 32, layers: int = 2,
                pad_token_id: int | None = None, dropout: float = 0.0, bos_token_id: int | None = None,
                eos_token_id: int | None = None):
    """A small backbone config: ``gpt2``, ``llama`` or ``bert``."""
    if arch == "gpt2":
        return GPT2Config(vocab_size=vocab_size, n_embd=hidden, n_layer=layers, n_head=4, n_positions=512,
                          resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout, pad_token_id=pad_token_id,
                          bos_token_id=bos_token_id, eos_token_id=eos_token_id)
    if arch == "llama":
        return LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                           num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                           max_position_embeddings=512, pad_token_id=pad_token_id, bos_token_id=bos_token_id,
                           eos_token_id=eos_token_id)
    if arch == "bert":
        return BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                          num_attention_heads=4, intermediate_size=2 * hidden, max_position_embeddings=512,
                          hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
                          pad_token_id=pad_token_id or 0)
    raise ValueError(f"arch must be gpt2, llama or bert, got {arch!r}")


def tiny_reward_model(arch: str = "gpt2", *, tokenizer=None, pooling: str = "auto", seed: int = 0, **config_kwargs):
    """(model, tokenizer): a random tiny reward model and a tokenizer whose ids it covers."""
    import torch

    from workbench.models.loading import ensure_pad_token, reward_model_from_config

    tokenizer = tokenizer if tokenizer is not None else word_tokenizer()
    config = tiny_config(arch, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, **config_kwargs)
    torch.manual_seed(seed)
    model = reward_model_from_config(config, pooling=pooling)
    ensure_pad_token(tokenizer, model)
    return model, tokenizer
