"""Tiny models for the world, built from a config: a policy and, at the same size, a PRM and an ORM.

    tokenizer = world_tokenizer()
    policy = tiny_causal_lm(tokenizer, seed=0)                  # LlamaForCausalLM, ~0.4M parameters
    prm = tiny_step_scorer(tokenizer, seed=1)                   # LlamaForTokenClassification, one logit a token
    orm = tiny_outcome_scorer(tokenizer, seed=2)                # LlamaForSequenceClassification, one logit

All three share one backbone config (:func:`world_config`), so "same model
size" is true by construction when process and outcome supervision are
compared. The defaults are a 4-layer, 128-wide Llama with 4 heads (2 key/value
heads), rotary positions and a vocabulary of ~120: about 0.5M parameters
(2 MB in float32), small enough that it trains in minutes on 2 CPU cores
and samples fast for GRPO, big enough to learn one-digit arithmetic with
carries. ``arch="gpt2"`` gives the same sizes in GPT-2's shape (learned
positions, a plain MLP).

The scorers are decoders, so a step's score reads the question and steps
``1..s`` only, never later steps: prefix-only PRM scores come for free (the
property beam search and first-error search rely on, see DESIGN.md). Every
model is a plain ``transformers`` model: ``save_pretrained`` /
``from_pretrained`` and the ``Auto*`` classes load it with no workbench import.
"""
from __future__ import annotations

ARCHS = ("llama", "gpt2")


def world_config(tokenizer, *, arch: str = "llama", hidden: int = 128, layers: int = 4, heads: int = 4,
                 max_positions: int = 256, num_labels: int = 1):
    """The backbone config for every world model: ``LlamaConfig`` or ``GPT2Config``.

    max_positions: 256 tokens hold the longest default problem and solution
    (about 150 tokens) with room for errors. num_labels: outputs of a scoring head.
    """
    from transformers import GPT2Config, LlamaConfig

    ids = dict(pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
               eos_token_id=tokenizer.eos_token_id)
    if hidden % heads:
        raise ValueError(f"hidden={hidden} must be a multiple of heads={heads}")
    if arch == "llama":
        return LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
                           num_hidden_layers=layers, num_attention_heads=heads,
                           num_key_value_heads=max(1, heads // 2), max_position_embeddings=max_positions,
                           tie_word_embeddings=True, num_labels=num_labels, **ids)
    if arch == "gpt2":
        return GPT2Config(vocab_size=len(tokenizer), n_embd=hidden, n_layer=layers, n_head=heads,
                          n_positions=max_positions, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                          num_labels=num_labels, **ids)
    raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")


def _build(auto_class: str, tokenizer, seed: int, **config_kwargs):
    import torch
    import transformers

    config = world_config(tokenizer, **config_kwargs)
    torch.manual_seed(seed)  # initial weights depend on the seed only
    return getattr(transformers, auto_class).from_config(config)


def tiny_causal_lm(tokenizer, *, arch: str = "llama", hidden: int = 128, layers: int = 4, heads: int = 4,
                   max_positions: int = 256, seed: int = 0):
    """A randomly initialised causal LM (``AutoModelForCausalLM``) over the world's vocabulary."""
    model = _build("AutoModelForCausalLM", tokenizer, seed, arch=arch, hidden=hidden, layers=layers, heads=heads,
                   max_positions=max_positions)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def tiny_step_scorer(tokenizer, *, arch: str = "llama", hidden: int = 128, layers: int = 4, heads: int = 4,
                     max_positions: int = 256, seed: int = 0):
    """A PRM backbone: ``AutoModelForTokenClassification`` with one logit per token (read at each step's end)."""
    return _build("AutoModelForTokenClassification", tokenizer, seed, arch=arch, hidden=hidden, layers=layers,
                  heads=heads, max_positions=max_positions)


def tiny_outcome_scorer(tokenizer, *, arch: str = "llama", hidden: int = 128, layers: int = 4, heads: int = 4,
                        max_positions: int = 256, seed: int = 0):
    """An ORM / reward model: ``AutoModelForSequenceClassification``, one logit at the last real token."""
    return _build("AutoModelForSequenceClassification", tokenizer, seed, arch=arch, hidden=hidden, layers=layers,
                  heads=heads, max_positions=max_positions)


def parameter_count(model) -> int:
    """Trainable parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
