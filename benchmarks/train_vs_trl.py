"""Reward-model training: workbench vs TRL's RewardTrainer, same data, same tokens, one run.

Baseline: ``trl.RewardTrainer`` at its fastest on this machine: ``use_cpu=True``,
``eos_token="[SEP]"`` for the BERT tokenizer, dropout off as TRL defaults, no
evaluation or saving during training, timed in fp32 AND in bf16 autocast
(``bf16=True``) in the same process; the faster of the two is the baseline, and the
script says which. Ours: ``workbench.training.train`` with its defaults (batches
grouped by length, chosen and rejected in one forward pass), likewise timed with
``mixed_precision="no"`` and ``"bf16"``, the faster kept (``--precision no|bf16``
times one precision for both instead).

Both get exactly the same token ids: the hh-rlhf harmless pairs from
``../shared/data`` are tokenised and truncated once by ``workbench.data``
(prompt cut from the left, ``max_length`` tokens), and TRL receives them as a
pre-tokenised dataset (``chosen_ids``/``rejected_ids``), so it neither re-tokenises
nor drops anything. Same backbone (offline MiniLM, dropout off as TRL does by
default), same initial head, batch 16, one epoch, same learning rate and schedule. Held-out accuracy of both models is computed by the
same function on the same pairs. Prints pairs/s of every run, the ratio of the
kept runs, both accuracies, and each run's model FLOP/s as a fraction of a float32
and a bfloat16 matmul peak measured at the start on the same threads
(``benchmarks/_peak.py``; both trainers are credited the same FLOPs: the real tokens).
``--threads`` (default 1) for stable timings on a shared box. With both precisions
(``--precision both``) each side also prints bf16 - fp32 held-out accuracy and its
paired SE (the same pairs scored twice; issue 16 item 2's accuracy check).

    python benchmarks/train_vs_trl.py                      # the issue's size: 2000 train pairs
    python benchmarks/train_vs_trl.py --n-train 400 --max-length 128   # what fits a shared 2-core box
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # benchmarks/_peak.py, beside this script
import _peak  # noqa: E402


def load_pairs(n_train: int, n_eval: int | None):
    from workbench.data import load_records
    from workbench.paths import shared_data_dir

    root = shared_data_dir()
    if root is None:
        sys.exit("needs ../shared/data (hh-rlhf-harmless); not found")
    records = load_records(root / "hh-rlhf-harmless" / "test.jsonl.gz")
    held_out = records[2000:] if n_eval is None else records[2000:2000 + n_eval]
    return records[:n_train], held_out


def run_trl(encoded, args, model, tokenizer, precision: str) -> tuple[float, object]:
    from datasets import Dataset
    from trl import RewardConfig, RewardTrainer

    dataset = Dataset.from_dict({"chosen_ids": [it["chosen"] for it in encoded.items],
                                 "rejected_ids": [it["rejected"] for it in encoded.items]})
    config = RewardConfig(output_dir=os.path.join(args.output, "trl"), use_cpu=True, eos_token="[SEP]",
                          per_device_train_batch_size=16, num_train_epochs=1, learning_rate=args.lr,
                          lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
                          max_length=args.max_length, report_to="none", save_strategy="no", eval_strategy="no",
                          logging_steps=10_000, seed=args.seed, dataloader_num_workers=0, disable_tqdm=True,
                          bf16=precision == "bf16")
    trainer = RewardTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start, trainer.model


def run_ours(encoded, args, model, tokenizer, precision: str) -> tuple[float, object]:
    from workbench.training import TrainConfig, train

    config = TrainConfig(output_dir=os.path.join(args.output, "ours"), batch_size=16, epochs=1,
                         learning_rate=args.lr, warmup_ratio=0.0, max_length=args.max_length, seed=args.seed,
                         save_model=False, progress=False, group_by_length=not args.no_grouping,
                         mixed_precision=precision)
    start = time.perf_counter()
    result = train(config, encoded, model=model, tokenizer=tokenizer)
    return time.perf_counter() - start, result.model


def run_both_precisions(name, runner, encoded, held, args, precisions) -> dict:
    """{precision: (pairs/s, held-out accuracy, seconds)} of one trainer, each from the same initial model."""
    from transformers import set_seed

    from workbench.models import load_reward_model
    import torch

    from workbench.training import pairwise_metrics, predict

    runs, correct = {}, {}
    for precision in precisions:
        set_seed(args.seed)
        # dropout off for both: TRL's default (disable_dropout=True), matched so only the loops differ
        model, tok = load_reward_model(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        seconds, trained = runner(encoded, args, model, tok, precision)
        chosen, rejected = predict(trained, held, tok.pad_token_id)  # what evaluate() computes, pair by pair
        keep = torch.tensor([not it["tie"] for it in held.items])
        chosen, rejected = chosen[keep], rejected[keep]
        accuracy = float(pairwise_metrics(chosen, rejected)["accuracy"])
        correct[precision] = (chosen > rejected).double() + 0.5 * (chosen == rejected).double()
        runs[precision] = (len(encoded) / seconds, accuracy, seconds)
        flops = _peak.training_flops(trained, args.lengths)
        label = "fp32" if precision == "no" else "bf16"
        print(f"{name:>18} {label}: {seconds:7.1f} s  {len(encoded) / seconds:6.2f} pairs/s  held-out accuracy "
              f"{accuracy:.3f}  {_peak.describe(flops, seconds, args.peak, label)}")
    if len(correct) == 2:  # the same held-out pairs twice: the paired SE is far below each accuracy's own
        difference = correct["bf16"] - correct["no"]
        n = len(difference)
        print(f"{name:>18} bf16 - fp32 held-out accuracy: {100 * difference.mean():+.1f} points, paired SE "
              f"{100 * difference.std().item() / n ** 0.5:.1f} ({int((difference != 0).sum())} of {n} pairs "
              f"judged differently; each accuracy's own SE {100 * (0.25 / n) ** 0.5:.1f})")
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-eval", type=int, default=None, help="held-out pairs (default: all after the first 2000)")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-grouping", action="store_true", help="ours without length grouping (ablation)")
    parser.add_argument("--precision", choices=["both", "bf16", "no"], default="both",
                        help="both: time each trainer in fp32 and in bf16 autocast and keep its faster run")
    parser.add_argument("--output", default="runs/bench_trl")
    parser.add_argument("--only", choices=["trl", "ours"], default=None,
                        help="run one side only (for ablations; no ratio is printed)")
    args = parser.parse_args()

    import torch

    from workbench.data import encode_records
    from workbench.models import load_reward_model

    torch.set_num_threads(args.threads)
    args.peak = _peak.peaks()
    train_pairs, held_out = load_pairs(args.n_train, args.n_eval)
    _, tokenizer = load_reward_model()
    encoded = encode_records(train_pairs, tokenizer, max_length=args.max_length)
    held = encode_records(held_out, tokenizer, max_length=args.max_length)
    args.lengths = [len(it[side]) for it in encoded.items for side in ("chosen", "rejected")]
    print(f"{len(encoded)} train / {len(held)} held-out pairs, max_length {args.max_length}, "
          f"{sum(args.lengths) / len(args.lengths):.0f} tokens per sequence on average; {encoded.report}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    _peak.print_peaks(args.peak)
    precisions = ("no", "bf16") if args.precision == "both" else (args.precision,)
    kept = {}
    for name, runner in (("TRL RewardTrainer", run_trl), ("workbench", run_ours)):
        if args.only and (args.only == "trl") != (runner is run_trl):
            continue
        runs = run_both_precisions(name, runner, encoded, held, args, precisions)
        best = max(runs, key=lambda p: runs[p][0])
        kept[name] = runs[best]
        print(f"{name:>18}: kept {'fp32' if best == 'no' else 'bf16'} (the faster), "
              f"{runs[best][0]:.2f} pairs/s; load average {_peak.load_average()}")
    again = _peak.peaks()  # the load of a shared box moves the peak: the higher of the two measurements stands
    print(f"peak measured again: fp32 {again['fp32'] / 1e9:.1f}, bf16 {again['bf16'] / 1e9:.1f} GFLOP/s "
          f"(fractions above use the first: fp32 {args.peak['fp32'] / 1e9:.1f}, bf16 {args.peak['bf16'] / 1e9:.1f})")
    if args.only:
        return
    (trl_speed, trl_acc, _), (our_speed, our_acc, _) = kept["TRL RewardTrainer"], kept["workbench"]
    print(f"speed ratio workbench / TRL (each at its faster precision): {our_speed / trl_speed:.2f}x   "
          f"accuracy difference: {100 * (our_acc - trl_acc):+.1f} points")


if __name__ == "__main__":
    main()
