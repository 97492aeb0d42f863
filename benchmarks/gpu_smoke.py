"""GPU smoke run: bf16 reward-model training of a ~0.5B decoder built from a config, vs TRL, a few steps.

Builds a Qwen2.5-0.5B-shaped Llama decoder (24 layers, hidden 896, 14 heads, 2 KV
heads, vocab 151,936; random weights, nothing downloaded), random pairwise token
data of ``--seq-len`` tokens per sequence (lengths spread from half to full), and
trains it for ``--steps`` optimiser steps with ``workbench.training.train`` and
then with ``trl.RewardTrainer`` on the same pre-tokenised pairs, bf16 on a GPU
that supports it. Prints real (non-padding) tokens per second of both and the
ratio. ``--size tiny`` runs the same code on CPU in seconds (the test does).

    python benchmarks/gpu_smoke.py                       # on a GPU box: ~0.5B, 20 steps
    python benchmarks/gpu_smoke.py --size tiny --steps 3 # anywhere
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SIZES = {  # LlamaConfig keyword arguments
    "0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                 num_key_value_heads=2, vocab_size=151936, max_position_embeddings=4096, tie_word_embeddings=True),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=512, max_position_embeddings=512),
}


def build(size: str, seed: int):
    import torch
    from transformers import LlamaConfig

    from workbench.models import reward_model_from_config
    from workbench.models.tiny import word_tokenizer

    tokenizer = word_tokenizer()  # only its special ids matter: the data are token ids
    config = LlamaConfig(pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, **SIZES[size])
    torch.manual_seed(seed)
    model = reward_model_from_config(config)
    return model, tokenizer


def random_pairs(n: int, seq_len: int, vocab: int, pad_id: int, seed: int):
    """``n`` pairs of random token ids (never the pad id), lengths uniform in [seq_len/2, seq_len]."""
    import torch

    from workbench.data import EncodedRecords

    g = torch.Generator().manual_seed(seed)
    items = []
    for _ in range(n):
        pair = {}
        for side in ("chosen", "rejected"):
            length = int(torch.randint(seq_len // 2, seq_len + 1, (1,), generator=g))
            ids = torch.randint(8, vocab, (length,), generator=g)
            pair[side] = [i if i != pad_id else i + 1 for i in ids.tolist()]
        items.append({**pair, "margin": None, "tie": False})
    return EncodedRecords(kind="pairwise", items=items, lengths=[max(len(it["chosen"]), len(it["rejected"]))
                                                                 for it in items])


def run_ours(model, tokenizer, data, args, bf16: bool) -> float:
    from workbench.training import TrainConfig, train

    config = TrainConfig(output_dir=tempfile.mkdtemp(), batch_size=args.batch, max_steps=args.steps,
                         max_length=args.seq_len, learning_rate=1e-5, mixed_precision="bf16" if bf16 else "no",
                         save_model=False, progress=False, gradient_checkpointing=args.gradient_checkpointing)
    start = time.perf_counter()
    train(config, data, model=model, tokenizer=tokenizer)
    return time.perf_counter() - start


def run_trl(model, tokenizer, data, args, bf16: bool) -> float:
    import torch
    from datasets import Dataset
    from trl import RewardConfig, RewardTrainer

    dataset = Dataset.from_dict({"chosen_ids": [it["chosen"] for it in data.items],
                                 "rejected_ids": [it["rejected"] for it in data.items]})
    config = RewardConfig(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=args.batch,
                          max_steps=args.steps, learning_rate=1e-5, bf16=bf16, max_length=args.seq_len,
                          use_cpu=not torch.cuda.is_available(), report_to="none", save_strategy="no",
                          eval_strategy="no", logging_steps=10_000, disable_tqdm=True,
                          gradient_checkpointing=args.gradient_checkpointing)
    trainer = RewardTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="0.5b")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=8, help="pairs per optimiser step")
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--skip-trl", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    _, tokenizer = build(args.size, args.seed)
    data = random_pairs(args.batch * args.steps, args.seq_len, SIZES[args.size]["vocab_size"],
                        tokenizer.pad_token_id, args.seed)
    tokens = sum(len(it["chosen"]) + len(it["rejected"]) for it in data.items)
    print(f"{args.size} decoder on {device}, bf16={bf16}, {args.steps} steps x {args.batch} pairs, "
          f"{tokens} real tokens")
    rates = {}
    for name, runner in (("workbench", run_ours), ("TRL RewardTrainer", run_trl)):
        if name.startswith("TRL") and args.skip_trl:
            continue
        model, _ = build(args.size, args.seed)
        params = sum(p.numel() for p in model.parameters())
        seconds = runner(model, tokenizer, data, args, bf16)
        rates[name] = tokens / seconds
        print(f"{name:>18}: {params / 1e6:.0f}M parameters, {seconds:.1f} s, {rates[name]:,.0f} tokens/s")
        del model
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    if len(rates) == 2:
        print(f"tokens/s ratio workbench / TRL: {rates['workbench'] / rates['TRL RewardTrainer']:.2f}x")
    return rates


if __name__ == "__main__":
    main()
