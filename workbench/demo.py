"""`workbench demo`: train the default MiniLM reward model on the bundled preferences.

The data is the synthetic preference set of :mod:`workbench.data.synthetic`
(written to ``data/`` on first use): responses whose true reward is known,
judged with Bradley-Terry noise. The demo reports held-out pairwise accuracy
before training (a fresh head: chance), after one epoch, and the accuracy of
the true rewards on the same noisy labels (the ceiling). About two minutes on
two CPU cores; ``--pairs`` and ``--epochs`` make it bigger.
"""
from __future__ import annotations

import time

from workbench.paths import DATA_DIR


def demo_files(n_train: int = 600, n_test: int = 300) -> dict:
    """The bundled synthetic set in ``data/``, generated (deterministically) if absent."""
    from workbench.data.synthetic import write_demo_data

    names = ("pairs_train", "pairs_test", "lists_train", "lists_test")
    files = {name: DATA_DIR / f"synthetic_{name}.jsonl" for name in names}
    if not all(path.is_file() for path in files.values()):
        files = write_demo_data(DATA_DIR, n_train=n_train, n_test=n_test)
    return files


def run_demo(*, n_pairs: int | None = None, epochs: float = 1.0, output_dir: str = "runs/demo",
             learning_rate: float = 1e-4, seed: int = 0) -> dict:
    """Train MiniLM with Bradley-Terry on the synthetic pairs; held-out accuracy before/after and the ceiling."""
    from workbench.data import load_records
    from workbench.data.records import rows_from
    from workbench.data.synthetic import true_pair_accuracy
    from workbench.training import TrainConfig, train

    files = demo_files()
    train_records = load_records(files["pairs_train"])[:n_pairs]
    test_rows = rows_from(files["pairs_test"])
    config = TrainConfig(output_dir=output_dir, loss="bradley_terry", batch_size=16, max_length=64,
                         epochs=epochs, learning_rate=learning_rate, seed=seed, log_every=5)
    start = time.perf_counter()
    result = train(config, train_records, eval_data=load_records(test_rows), evaluate_before=True)
    return {"data": str(files["pairs_train"]), "n_train": len(train_records), "n_test": len(test_rows),
            "before": result.eval_before["accuracy"], "after": result.eval_metrics["accuracy"],
            "ceiling": true_pair_accuracy(test_rows), "pairs_per_second": result.items_per_second,
            "seconds": time.perf_counter() - start, "output_dir": output_dir}


def _main(args) -> int:
    from workbench.errors import UserError

    if args.pairs is not None and args.pairs < 1:
        raise UserError(f"--pairs must be >= 1, got {args.pairs}")
    if args.epochs <= 0:
        raise UserError(f"--epochs must be > 0, got {args.epochs}")
    result = run_demo(n_pairs=args.pairs, epochs=args.epochs, output_dir=args.output)
    print(f"trained MiniLM on {result['n_train']} pairs from {result['data']} "
          f"({result['pairs_per_second']:.1f} pairs/s, {result['seconds']:.0f} s in all)")
    print(f"held-out accuracy before training: {result['before']:.3f}   (n = {result['n_test']})")
    print(f"held-out accuracy after training:  {result['after']:.3f}")
    print(f"accuracy of the true rewards:      {result['ceiling']:.3f}   (the ceiling under label noise)")
    print(f"checkpoint (plain transformers):   {result['output_dir']}")
    return 0


def register(subparsers) -> None:
    """Add ``demo`` to the ``workbench`` command (a command of its own, so it stays beside run_demo)."""
    parser = subparsers.add_parser("demo", help="train the default MiniLM reward model on the bundled preferences")
    parser.add_argument("--pairs", type=int, default=None, help="training pairs (default: all 600)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--output", default="runs/demo", help="where the trained checkpoint goes")
    parser.set_defaults(func=_main)
