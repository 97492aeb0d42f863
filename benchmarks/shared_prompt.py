"""Shared-prompt packing vs plain listwise scoring: forward+backward time per list, in one run.

Model: a Llama reward model built from a config (default 4 layers, hidden 256, 4
heads, vocabulary 1,000; random weights, float32, no download). Data: random token
lists of K responses sharing a long prompt (default K = 4, 256 prompt tokens,
32-token responses). Baseline ("plain"): :class:`workbench.data.ListwiseCollator`
+ :func:`workbench.training.listwise_objective`, i.e. K sequences prompt+response per
list (K * (p + r) tokens). Ours ("packed"):
:class:`workbench.training.shared_prompt.SharedPromptCollator` +
:func:`~workbench.training.shared_prompt.shared_prompt_objective`, one row of p + K*r
tokens with a block attention mask. Both with Plackett-Luce on the same lists, the
same model; each step is loss.backward() on ``--lists`` lists, timed after one
warm-up step, median of ``--repeats``. The two losses are checked equal first.
``torch.set_num_threads(--threads)`` (default 1) for stable timings on a shared box.

    python benchmarks/shared_prompt.py                       # defaults above, < 2 minutes on 1 core
    python benchmarks/shared_prompt.py --prompt 64 --layers 2   # a shorter prompt: smaller gain
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_lists(n: int, k: int, prompt: int, response: int, vocab: int, seed: int = 0) -> list[dict]:
    import torch

    g = torch.Generator().manual_seed(seed)
    items = []
    for _ in range(n):
        p = torch.randint(10, vocab, (prompt,), generator=g).tolist()
        items.append({"responses": [p + torch.randint(10, vocab, (response,), generator=g).tolist() for _ in range(k)],
                      "labels": torch.randint(0, 3, (k,), generator=g).float().tolist(), "top_k": None})
    return items


def time_steps(model, objective, batch, repeats: int) -> list[float]:
    """Seconds per forward+backward of ``objective`` on ``batch`` (one warm-up step first)."""
    times = []
    for i in range(repeats + 1):
        model.zero_grad(set_to_none=True)
        start = time.perf_counter()
        loss, _ = objective(model, batch)
        loss.backward()
        if i:
            times.append(time.perf_counter() - start)
    return times


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--prompt", type=int, default=256)
    parser.add_argument("--response", type=int, default=32)
    parser.add_argument("--lists", type=int, default=2, help="lists per step")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"])
    args = parser.parse_args(argv)

    import torch
    from transformers import LlamaConfig

    from workbench.data import ListwiseCollator
    from workbench.models import reward_model_from_config
    from workbench.training import listwise_objective
    from workbench.training.shared_prompt import SharedPromptCollator, shared_prompt_objective

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=2 * args.hidden,
                         num_hidden_layers=args.layers, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=max(512, args.prompt + args.response + 8), pad_token_id=0)
    model = reward_model_from_config(config)
    model.set_attn_implementation(args.attn)
    model.train()
    items = make_lists(args.lists, args.k, args.prompt, args.response, args.vocab)
    plain_batch, packed_batch = ListwiseCollator(0)(items), SharedPromptCollator(0)(items)
    plain_obj, packed_obj = listwise_objective("plackett_luce"), shared_prompt_objective("plackett_luce")
    with torch.no_grad():
        diff = abs(plain_obj(model, plain_batch)[0].item() - packed_obj(model, packed_batch)[0].item())
    if diff > 1e-4:
        raise AssertionError(f"packed loss differs from the plain loss by {diff:.2e}")
    plain = statistics.median(time_steps(model, plain_obj, plain_batch, args.repeats)) / args.lists
    packed = statistics.median(time_steps(model, packed_obj, packed_batch, args.repeats)) / args.lists
    tokens_plain, tokens_packed = plain_batch["input_ids"].numel(), packed_batch["input_ids"].numel()
    print(f"Llama {args.layers}x{args.hidden} ({args.attn}), K={args.k}, prompt {args.prompt}, responses "
          f"{args.response}, {args.lists} lists/step, {args.threads} thread(s), median of {args.repeats}")
    print(f"tokens per step: plain {tokens_plain}, packed {tokens_packed}; |loss difference| {diff:.1e}")
    print(f"plain  (K prompt+response sequences): {plain * 1000:8.1f} ms per list (forward+backward)")
    print(f"packed (shared prompt, block mask)  : {packed * 1000:8.1f} ms per list (forward+backward)")
    print(f"speed-up plain / packed: {plain / packed:.2f}x")
    return {"plain_s": plain, "packed_s": packed, "ratio": plain / packed, "loss_diff": diff}


if __name__ == "__main__":
    main()
