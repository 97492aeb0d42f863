"""One training loop for every reward model, on Accelerate (CPU, one GPU, many GPUs/nodes).

    from workbench.training import TrainConfig, train
    result = train(TrainConfig(loss="bradley_terry", epochs=1, output_dir="runs/rm"),
                   "data/prefs.jsonl", eval_data="data/prefs_eval.jsonl", evaluate_before=True)
    result.eval_before["accuracy"], result.eval_metrics["accuracy"], result.items_per_second

``train(config, train_data, eval_data=None, *, model=None, tokenizer=None,
compute_loss=None, collate_fn=None, evaluate_fn=None, evaluate_before=False) -> TrainResult``

* The loop (:mod:`workbench.training.loop`) owns the mechanics only: seeding, batches
  grouped by length, AdamW + linear warm-up/decay, gradient accumulation, clipping,
  bf16 on GPUs that support it and on CPUs with native bf16 when a forward pass holds
  >= 1024 tokens (``mixed_precision="auto"``, :mod:`workbench.training.precision`; the
  choice is ``TrainResult.precision`` and metrics.json's ``precision``), optional gradient
  checkpointing and LoRA (``peft``), tqdm progress, logging, periodic evaluation,
  resumable checkpoints (``save_every`` -> ``output_dir/checkpoint-N``, each written whole;
  ``resume`` takes the newest, ``resume_from`` a given one, refused when the data or
  batching changed unless ``allow_resume_changes``; ``keep_checkpoints`` prunes old ones)
  and a final plain ``transformers`` checkpoint in ``output_dir``, written beside it and
  moved in; the folder carries ``RUN_UNFINISHED.json`` until then. The model trains in
  train mode (dropout on) and is given back in the mode it came in. The command line
  also refuses an ``output_dir`` holding another run unless ``overwrite``
  (:mod:`workbench.training.run_folder`).
  ``config.batch_size`` is the global batch of one micro-step: under ``accelerate
  launch`` each of the N processes gets ``batch_size / N`` of every batch, so a
  2-process run follows the same optimisation path as one process. On a CPU-only box start N gloo processes
  with ``accelerate launch --multi_gpu --num_processes N`` (accelerate 1.x's
  ``--cpu --num_processes N`` needs ``mpirun`` for N > 1).
* A non-finite loss stops the run with ``FloatingPointError`` naming the step.
* What is trained is pluggable. ``compute_loss(model, batch) -> (loss, metrics)``
  (a scalar tensor and a dict of metrics) and ``collate_fn(items) -> batch`` are the
  whole interface: a PRM passes its token-level model, a step-label collator and
  its objective; a two-head ODIN model passes its model and an objective that adds
  its orthogonality/length terms. Nothing else in the loop changes. The defaults come
  from :func:`objective_for` (``pairwise_objective`` / ``listwise_objective``: the
  loss named by ``config.loss`` via ``workbench.losses.get_loss`` plus
  ``config.center_weight`` x ``center_penalty``).
* Metrics are pure functions (:mod:`workbench.training.metrics`):
  ``pairwise_metrics(chosen, rejected)`` -> accuracy, mean margin;
  ``listwise_metrics(scores, labels, mask)`` -> Kendall's tau, NDCG, pair and top-1 accuracy.
* ``evaluate(model, encoded, pad_token_id)`` and ``score_records(model, tokenizer,
  records)`` score held-out data in length-sorted batches.
* ``TrainConfig`` loads from YAML with :func:`load_config` (unknown keys and wrong
  types rejected, naming them); ``workbench train --config FILE.yaml`` uses it.
"""
import sys
import types

from workbench._lazy import lazy_exports

# Where each public name lives; imported on first use (PEP 562), so that reading a config or
# building the command line (`workbench --help`) does not pay for torch and transformers.
_HOME = {
    **dict.fromkeys(("LoraSettings", "TrainConfig", "from_dict", "load_config"), "config"),
    **dict.fromkeys(("evaluate", "predict", "score_records"), "evaluate"),
    **dict.fromkeys(("TrainResult", "as_encoded", "make_accelerator", "train"), "loop"),
    **dict.fromkeys(("kendall_tau", "listwise_metrics", "ndcg", "pairwise_metrics"), "metrics"),
    **dict.fromkeys(("listwise_objective", "objective_for", "pairwise_objective", "score_lists", "score_pairs"),
                    "objectives"),
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)


class _Package(types.ModuleType):
    """This package, where the public name ``evaluate`` (a function) is never replaced by its submodule.

    Importing the submodule ``workbench.training.evaluate`` sets the package attribute of that
    name to the module; with lazy names that could happen before the function was first asked
    for, and ``from workbench.training import evaluate`` would then give a module."""

    def __setattr__(self, name: str, value) -> None:
        if name == "evaluate" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "TrainConfig", "LoraSettings", "load_config", "from_dict", "train", "TrainResult", "as_encoded",
    "make_accelerator", "evaluate", "predict", "score_records", "pairwise_metrics", "listwise_metrics",
    "kendall_tau", "ndcg", "pairwise_objective", "listwise_objective", "objective_for", "score_pairs",
    "score_lists",
]
