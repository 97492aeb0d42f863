"""Shared-prompt packing vs plain scoring, lists or pairs: forward+backward time per item, in one run.

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

``--pairs``: pairs instead of lists (hh-rlhf-shaped: a long shared prompt, two short
responses; margins 0-2 and a tied pair in five, Bradley-Terry). Plain:
:class:`workbench.data.PairwiseCollator` + :func:`workbench.training.pairwise_objective`
(2B sequences); packed: :class:`~workbench.training.shared_prompt.SharedPairCollator` +
:func:`~workbench.training.shared_prompt.shared_pair_objective` (what
``TrainConfig(shared_prompt=None)`` trains decoder pairs with). ``--hh N``: instead of
random tokens, N real hh-rlhf harmless pairs from ``../shared/data`` tokenised by
MiniLM's tokenizer (``--max-length``), in length-sorted batches of ``--lists`` pairs.

Every run also prints a float32 and a bfloat16 matmul peak measured on the same
threads and each path's model FLOP/s as a fraction of it (``benchmarks/_peak.py``).

    python benchmarks/shared_prompt.py                       # defaults above, < 2 minutes on 1 core
    python benchmarks/shared_prompt.py --prompt 64 --layers 2   # a shorter prompt: smaller gain
    python benchmarks/shared_prompt.py --pairs --lists 8        # pairs: 256-token prompt, 32-token responses
    python benchmarks/shared_prompt.py --pairs --hh 64 --lists 8   # real hh-rlhf pairs
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # benchmarks/_peak.py, beside this script
import _peak  # noqa: E402


def make_lists(n: int, k: int, prompt: int, response: int, vocab: int, seed: int = 0) -> list[dict]:
    import torch

    g = torch.Generator().manual_seed(seed)
    items = []
    for _ in range(n):
        p = torch.randint(10, vocab, (prompt,), generator=g).tolist()
        items.append({"responses": [p + torch.randint(10, vocab, (response,), generator=g).tolist() for _ in range(k)],
                      "labels": torch.randint(0, 3, (k,), generator=g).float().tolist(), "top_k": None})
    return items


def make_pairs(n: int, prompt: int, response: int, vocab: int, seed: int = 0) -> list[dict]:
    """Random pairs: one ``prompt``-token prompt, two ``response``-token responses, margins, some ties."""
    lists = make_lists(n, 2, prompt, response, vocab, seed)
    return [{"chosen": it["responses"][0], "rejected": it["responses"][1], "margin": float(i % 3), "tie": i % 5 == 1}
            for i, it in enumerate(lists)]


def hh_pairs(n: int, max_length: int) -> list[dict]:
    """The first n hh-rlhf harmless pairs, MiniLM token ids, sorted by length (as grouped batches are)."""
    from workbench.data import encode_records, load_records
    from workbench.models import load_reward_model
    from workbench.paths import shared_data_dir

    if shared_data_dir() is None:
        sys.exit("--hh needs ../shared/data (hh-rlhf-harmless); not found")
    records = load_records(shared_data_dir() / "hh-rlhf-harmless" / "test.jsonl.gz")[:n]
    _, tokenizer = load_reward_model()
    items = list(encode_records(records, tokenizer, max_length=max_length).items)
    return sorted(items, key=lambda it: max(len(it["chosen"]), len(it["rejected"])))


def real_lengths(batch: dict, pad: int = 0) -> list[int]:
    """Real (non-padding) tokens of each row: 2-D mask rows, or a packed row's non-padding segments."""
    if "segments" in batch:
        return (batch["segments"] >= 0).sum(-1).tolist()
    return batch["attention_mask"].sum(-1).tolist()


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


def time_pass(model, objective, batches: list[dict]) -> float:
    """Seconds of forward+backward of ``objective`` over every batch once."""
    start = time.perf_counter()
    for batch in batches:
        model.zero_grad(set_to_none=True)
        loss, _ = objective(model, batch)
        loss.backward()
    return time.perf_counter() - start


def parts(args):
    """(items, plain collator, packed collator, plain objective, packed objective) for lists or pairs."""
    from workbench.data import ListwiseCollator, PairwiseCollator
    from workbench.training import listwise_objective, pairwise_objective
    from workbench.training.shared_prompt import (
        SharedPairCollator,
        SharedPromptCollator,
        shared_pair_objective,
        shared_prompt_objective,
    )

    if not args.pairs:
        return (make_lists(args.lists, args.k, args.prompt, args.response, args.vocab), ListwiseCollator(0),
                SharedPromptCollator(0), listwise_objective("plackett_luce"), shared_prompt_objective("plackett_luce"))
    items = hh_pairs(args.hh, args.max_length) if args.hh else make_pairs(args.lists, args.prompt, args.response,
                                                                           args.vocab)
    return (items, PairwiseCollator(0), SharedPairCollator(0), pairwise_objective("bradley_terry"),
            shared_pair_objective("bradley_terry"))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--prompt", type=int, default=256)
    parser.add_argument("--response", type=int, default=32)
    parser.add_argument("--lists", type=int, default=2, help="lists (or pairs) per step")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"])
    parser.add_argument("--pairs", action="store_true", help="pairs (K = 2, pairwise loss) instead of lists")
    parser.add_argument("--hh", type=int, default=0, help="with --pairs: this many real hh-rlhf pairs")
    parser.add_argument("--max-length", type=int, default=512, help="with --hh: tokens per sequence")
    args = parser.parse_args(argv)

    import torch
    from transformers import LlamaConfig

    from workbench.models import reward_model_from_config

    torch.set_num_threads(args.threads)
    peak = _peak.peaks()
    items, plain_collate, packed_collate, plain_obj, packed_obj = parts(args)
    vocab = 30522 if args.hh else args.vocab  # MiniLM's tokenizer for real text
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab, hidden_size=args.hidden, intermediate_size=2 * args.hidden,
                         num_hidden_layers=args.layers, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=max(1024, args.prompt + args.k * args.response + 8), pad_token_id=0)
    model = reward_model_from_config(config)
    model.set_attn_implementation(args.attn)
    model.train()
    chunks = [items[i:i + args.lists] for i in range(0, len(items), args.lists)]
    plain_batches, packed_batches = [plain_collate(c) for c in chunks], [packed_collate(c) for c in chunks]
    with torch.no_grad():
        diff = max(abs(plain_obj(model, a)[0].item() - packed_obj(model, b)[0].item())
                   for a, b in zip(plain_batches, packed_batches))
    if diff > 1e-4:
        raise AssertionError(f"packed loss differs from the plain loss by {diff:.2e}")
    time_pass(model, plain_obj, plain_batches[:1]), time_pass(model, packed_obj, packed_batches[:1])  # warm-up
    plain_runs, packed_runs = [], []
    for _ in range(args.repeats):  # interleaved, so a change in the machine's load hits both
        plain_runs.append(time_pass(model, plain_obj, plain_batches))
        packed_runs.append(time_pass(model, packed_obj, packed_batches))
    plain, packed = statistics.median(plain_runs) / len(items), statistics.median(packed_runs) / len(items)
    tokens_plain = sum(b["input_ids"].numel() for b in plain_batches)
    tokens_packed = sum(b["input_ids"].numel() for b in packed_batches)
    flops_plain = sum(_peak.training_flops(model, real_lengths(b)) for b in plain_batches) / len(items)
    flops_packed = sum(_peak.training_flops(model, real_lengths(b)) for b in packed_batches) / len(items)
    what = "pairs" if args.pairs else "lists"
    shape = (f"{len(items)} hh-rlhf pairs (max length {args.max_length})" if args.hh else
             f"K={2 if args.pairs else args.k}, prompt {args.prompt}, responses {args.response}")
    print(f"Llama {args.layers}x{args.hidden} ({args.attn}), {shape}, {args.lists} {what}/step, "
          f"{args.threads} thread(s), median of {args.repeats}")
    _peak.print_peaks(peak)
    print(f"tokens (padded) per pass: plain {tokens_plain}, packed {tokens_packed}; |loss difference| {diff:.1e}")
    print(f"plain  (one sequence per response): {plain * 1000:8.1f} ms per {what[:-1]} (forward+backward), "
          f"{_peak.describe(flops_plain, plain, peak)}")
    print(f"packed (shared prompt, block mask): {packed * 1000:8.1f} ms per {what[:-1]} (forward+backward), "
          f"{_peak.describe(flops_packed, packed, peak)}")
    print(f"speed-up plain / packed: {plain / packed:.2f}x")
    return {"plain_s": plain, "packed_s": packed, "ratio": plain / packed, "loss_diff": diff,
            "fraction_of_peak": {"plain": flops_plain / plain / peak["fp32"],
                                 "packed": flops_packed / packed / peak["fp32"]}}


if __name__ == "__main__":
    main()
