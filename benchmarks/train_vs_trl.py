"""Reward-model training: workbench vs TRL's RewardTrainer, same data, same tokens, one run.

Baseline: ``trl.RewardTrainer`` with its best CPU settings (``use_cpu=True``,
``eos_token="[SEP]"`` for the BERT tokenizer, bf16 autocast on a CPU with native
bf16 (both trainers get the same ``--precision``), dropout off as TRL defaults,
no evaluation or saving during training), measured in the same process.
Ours: ``workbench.training.train`` with its defaults (batches grouped by length,
chosen and rejected in one forward pass).

Both get exactly the same token ids: the hh-rlhf harmless pairs from
``../shared/data`` are tokenised and truncated once by ``workbench.data``
(prompt cut from the left, ``max_length`` tokens), and TRL receives them as a
pre-tokenised dataset (``chosen_ids``/``rejected_ids``), so it neither re-tokenises
nor drops anything. Same backbone (offline MiniLM, dropout off as TRL does by
default), same initial head, batch 16, one epoch, same learning rate and schedule. Held-out accuracy of both models is computed by the
same function on the same pairs. Prints pairs/s of both, the ratio, both accuracies.

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


def load_pairs(n_train: int, n_eval: int | None):
    from workbench.data import load_records
    from workbench.paths import shared_data_dir

    root = shared_data_dir()
    if root is None:
        sys.exit("needs ../shared/data (hh-rlhf-harmless); not found")
    records = load_records(root / "hh-rlhf-harmless" / "test.jsonl.gz")
    held_out = records[2000:] if n_eval is None else records[2000:2000 + n_eval]
    return records[:n_train], held_out


def run_trl(encoded, args, model, tokenizer) -> tuple[float, object]:
    from datasets import Dataset
    from trl import RewardConfig, RewardTrainer

    dataset = Dataset.from_dict({"chosen_ids": [it["chosen"] for it in encoded.items],
                                 "rejected_ids": [it["rejected"] for it in encoded.items]})
    config = RewardConfig(output_dir=os.path.join(args.output, "trl"), use_cpu=True, eos_token="[SEP]",
                          per_device_train_batch_size=16, num_train_epochs=1, learning_rate=args.lr,
                          lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
                          max_length=args.max_length, report_to="none", save_strategy="no", eval_strategy="no",
                          logging_steps=10_000, seed=args.seed, dataloader_num_workers=0, disable_tqdm=True,
                          bf16=args.precision == "bf16")
    trainer = RewardTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start, trainer.model


def run_ours(encoded, args, model, tokenizer) -> tuple[float, object]:
    from workbench.training import TrainConfig, train

    config = TrainConfig(output_dir=os.path.join(args.output, "ours"), batch_size=16, epochs=1,
                         learning_rate=args.lr, warmup_ratio=0.0, max_length=args.max_length, seed=args.seed,
                         save_model=False, progress=False, group_by_length=not args.no_grouping,
                         mixed_precision=args.precision)
    start = time.perf_counter()
    result = train(config, encoded, model=model, tokenizer=tokenizer)
    return time.perf_counter() - start, result.model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-eval", type=int, default=None, help="held-out pairs (default: all after the first 2000)")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-grouping", action="store_true", help="ours without length grouping (ablation)")
    parser.add_argument("--precision", choices=["bf16", "no"], default=None,
                        help="autocast for BOTH trainers (default: bf16 where the CPU has native bf16, else fp32)")
    parser.add_argument("--output", default="runs/bench_trl")
    parser.add_argument("--only", choices=["trl", "ours"], default=None,
                        help="run one side only (for ablations; no ratio is printed)")
    args = parser.parse_args()

    import torch
    from transformers import set_seed

    from workbench.data import encode_records
    from workbench.models import load_reward_model
    from workbench.training import evaluate

    if args.precision is None:
        args.precision = "bf16" if torch.cuda.is_available() or torch.ops.mkldnn._is_mkldnn_bf16_supported() else "no"
    train_pairs, held_out = load_pairs(args.n_train, args.n_eval)
    _, tokenizer = load_reward_model()
    encoded = encode_records(train_pairs, tokenizer, max_length=args.max_length)
    held = encode_records(held_out, tokenizer, max_length=args.max_length)
    tokens = sum(len(it["chosen"]) + len(it["rejected"]) for it in encoded.items)
    print(f"{len(encoded)} train / {len(held)} held-out pairs, max_length {args.max_length}, "
          f"{tokens / len(encoded) / 2:.0f} tokens per sequence on average; {encoded.report}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, autocast: {args.precision}")
    results = {}
    for name, runner in (("TRL RewardTrainer", run_trl), ("workbench", run_ours)):
        if args.only and (args.only == "trl") != (runner is run_trl):
            continue
        set_seed(args.seed)
        # dropout off for both: TRL's default (disable_dropout=True), matched so only the loops differ
        model, tok = load_reward_model(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        seconds, trained = runner(encoded, args, model, tok)
        accuracy = evaluate(trained, held, tok.pad_token_id)["accuracy"]
        results[name] = (len(encoded) / seconds, accuracy, seconds)
        print(f"{name:>18}: {seconds:7.1f} s  {len(encoded) / seconds:6.2f} pairs/s  held-out accuracy {accuracy:.3f}")
    if args.only:
        return
    (trl_speed, trl_acc, _), (our_speed, our_acc, _) = results["TRL RewardTrainer"], results["workbench"]
    print(f"speed ratio workbench / TRL: {our_speed / trl_speed:.2f}x   "
          f"accuracy difference: {100 * (our_acc - trl_acc):+.1f} points")


if __name__ == "__main__":
    main()
