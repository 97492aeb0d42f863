"""The one training loop: Accelerate, gradient accumulation, checkpoint and resume, any objective."""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState
from accelerate.utils import DataLoaderConfiguration, set_seed
from tqdm.auto import tqdm

from workbench.data import EncodedRecords, LengthGroupedBatchSampler, TruncationReport, collator_for, encode_records
from workbench.data.records import load_records
from workbench.errors import UserError, mistakes_in
from workbench.losses import NonFiniteError
from workbench.models import load_reward_model, save_reward_model
from workbench.models.checkpoint_files import mark_finished, mark_unfinished
from workbench.training.config import TrainConfig
from workbench.training.evaluate import evaluate
from workbench.training.objectives import objective_for
from workbench.training.precision import precision_for_run
from workbench.training.run_folder import STATE_FILE, check_resume, fingerprint, resume_folder, save_checkpoint
from workbench.training.shared_prompt import packs_by_default, shared_prompt_parts


@dataclass
class TrainResult:
    """What a run produced: the trained model, its metrics and its speed."""

    model: torch.nn.Module
    tokenizer: object
    eval_metrics: dict = field(default_factory=dict)  # held-out metrics after training ({} without eval data)
    eval_before: dict = field(default_factory=dict)  # held-out metrics before training (evaluate_before=True)
    history: list = field(default_factory=list)  # one dict per log interval / evaluation
    steps: int = 0  # optimiser steps taken in this run (after a resume: in total)
    items: int = 0  # pairs or lists trained on in this run
    train_seconds: float = 0.0  # wall time of the optimisation, evaluations excluded
    truncation: TruncationReport | None = None
    output_dir: str | None = None
    precision: str = "fp32"  # what the run trained in (fp32, bf16 or fp16), mixed_precision="auto" resolved

    @property
    def items_per_second(self) -> float:
        return self.items / self.train_seconds if self.train_seconds > 0 else 0.0


def as_encoded(data, tokenizer, max_length: int) -> EncodedRecords:
    """Records from any source (path, Dataset, DataFrame, dicts, typed records) -> :class:`EncodedRecords`."""
    if isinstance(data, EncodedRecords):
        return data
    if isinstance(data, list) and data and not isinstance(data[0], dict):
        records = data
    else:
        records = load_records(data)
    return encode_records(records, tokenizer, max_length=max_length)


def make_accelerator(config: TrainConfig, precision: str | None = None) -> Accelerator:
    """An Accelerator for this config; ``split_batches`` makes ``batch_size`` the global micro-batch
    (all processes together, each getting ``batch_size / N``), one per accumulation micro-step.

    ``precision``: accelerate's ``no``/``bf16``/``fp16``; None resolves ``config.mixed_precision``
    without knowing the data (auto: bf16 on a GPU that has it, else fp32; :func:`train` passes
    the choice it made from the data, :func:`~workbench.training.precision.precision_for_run`)."""
    if precision is None:
        precision = precision_for_run(config.mixed_precision).precision
    state = AcceleratorState._shared_state
    if state and state.get("_mixed_precision") not in (None, precision) and state.get("num_processes", 1) == 1:
        AcceleratorState._reset_state()  # a new single-process run in the same Python (notebooks, tests)
    # cpu=True without CUDA: under `accelerate launch --cpu --num_processes N --mpirun_hostfile H`
    # (mpirun) or `--multi_gpu --num_processes N` (torchrun) on a CPU-only box this gives N gloo
    # processes; cpu=True is what makes accelerate read the MPI ranks.
    return Accelerator(mixed_precision=precision, gradient_accumulation_steps=config.grad_accum,
                       dataloader_config=DataLoaderConfiguration(split_batches=True),
                       cpu=not torch.cuda.is_available())


def _prepare_model(config: TrainConfig, model, tokenizer):
    if model is None:
        model, tokenizer = load_reward_model(config.model, pooling=config.pooling)
    if config.gradient_checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5 name
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if config.lora is not None:
        from peft import LoraConfig, TaskType, get_peft_model

        lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=config.lora.r, lora_alpha=config.lora.alpha,
                          lora_dropout=config.lora.dropout, target_modules=config.lora.target_modules)
        model = get_peft_model(model, lora)
    return model, tokenizer


def _optimiser(config: TrainConfig, model, total_steps: int):
    from transformers import get_scheduler

    params = [p for p in model.parameters() if p.requires_grad]
    try:  # one fused kernel over all parameters (CPU and CUDA): ~6x faster than the per-tensor loop on CPU
        optimiser = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
        optimiser = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = get_scheduler("linear", optimiser, num_warmup_steps=int(config.warmup_ratio * total_steps),
                              num_training_steps=total_steps)
    return optimiser, scheduler


def train(config: TrainConfig, train_data, eval_data=None, *, model=None, tokenizer=None,
          compute_loss=None, collate_fn=None, evaluate_fn=None, evaluate_before: bool = False) -> TrainResult:
    """Train a reward model; the same call runs on CPU, one GPU or under ``accelerate launch``.

    ``train_data``/``eval_data``: records from any source, :class:`EncodedRecords`, or
    (with ``collate_fn``) any map-style dataset. ``compute_loss(model, batch) -> (loss,
    metrics)`` defaults to the objective for ``config.loss``; ``evaluate_fn(model) ->
    dict`` to :func:`workbench.training.evaluate` on ``eval_data``. ``model``/``tokenizer``
    default to ``load_reward_model(config.model, pooling=config.pooling)``.
    """
    resume = resume_folder(config)  # before loading anything: a wrong folder fails at once
    set_seed(config.seed)
    model, tokenizer = _prepare_model(config, model, tokenizer)
    if collate_fn is None:  # the loop encodes at max_length; a caller's collator decides lengths itself
        check_max_length(config.max_length, model)
        train_data = as_encoded(train_data, tokenizer, config.max_length)
    # After encoding: auto on a CPU decides from the tokens per forward pass (precision.py's why).
    choice = precision_for_run(config.mixed_precision, data=train_data if collate_fn is None else None,
                               batch_size=config.batch_size, model=model)
    accelerator = make_accelerator(config, choice.precision)
    if config.mixed_precision == "auto" and config.progress and accelerator.is_main_process:
        print(f"precision: {choice.label} ({choice.reason})")
    if config.shared_prompt or packs_by_default(config, model, getattr(train_data, "kind", None),  # pairs: auto
                                                num_processes=accelerator.num_processes, collate_fn=collate_fn,
                                                compute_loss=compute_loss):  # checks (UserError), then its parts
        collate_fn, packed_loss = shared_prompt_parts(config, model, tokenizer, getattr(train_data, "kind", None),
                                                      num_processes=accelerator.num_processes, collate_fn=collate_fn)
        compute_loss = packed_loss if compute_loss is None else compute_loss
    elif collate_fn is None:
        collate_fn = collator_for(train_data.kind, tokenizer.pad_token_id)
        if compute_loss is None:
            with mistakes_in("loss"):  # objectives refuse a loss that does not fit the records' kind
                compute_loss = objective_for(train_data.kind, config.loss, loss_kwargs=config.loss_kwargs,
                                             center_weight=config.center_weight)
    if compute_loss is None:
        raise ValueError("a custom collate_fn needs a compute_loss(model, batch) -> (loss, metrics)")
    if evaluate_fn is None and eval_data is not None:
        held_out = as_encoded(eval_data, tokenizer, config.max_length)
        evaluate_fn = lambda m: evaluate(m, held_out, tokenizer.pad_token_id,  # noqa: E731
                                         batch_size=config.eval_batch_size)
    result = TrainResult(model=None, tokenizer=tokenizer, output_dir=config.output_dir,
                         truncation=getattr(train_data, "report", None), precision=choice.label)
    if result.truncation is not None and result.truncation.n_truncated and accelerator.is_main_process:
        print(f"training data: {result.truncation}")
    if evaluate_before and evaluate_fn is not None:
        result.eval_before = evaluate_fn(model)
    sampler = LengthGroupedBatchSampler(getattr(train_data, "lengths", None), config.batch_size,
                                        n_items=len(train_data), seed=config.seed,
                                        group=64 if config.group_by_length else 1)
    # Its own generator: iterating a DataLoader draws a base seed, which must not come from the
    # global RNG (dropout's), or a resumed run would see a shifted dropout stream.
    loader = torch.utils.data.DataLoader(train_data, batch_sampler=sampler, collate_fn=collate_fn,
                                         generator=torch.Generator().manual_seed(config.seed))
    steps_per_epoch = math.ceil(len(sampler) / config.grad_accum)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    optimiser, scheduler = _optimiser(config, model, total)
    was_training = model.training  # from_pretrained gives eval mode: train with dropout, give it back as found
    model.train()
    model, optimiser, loader, scheduler = accelerator.prepare(model, optimiser, loader, scheduler)
    run = fingerprint(train_data, config) if (config.save_every or resume) else None
    if resume is not None:  # other data or batching: refused before anything is written
        check_resume(resume, json.loads((resume / STATE_FILE).read_text()), run, config)
    if config.save_model and config.output_dir and accelerator.is_main_process:
        mark_unfinished(config.output_dir, command="train")  # until the final model is in place
    _run(config, accelerator, model, optimiser, scheduler, loader, sampler, compute_loss, evaluate_fn,
         total, result, resume, run)
    model = accelerator.unwrap_model(model)
    model.train(was_training)
    if evaluate_fn is not None:
        result.eval_metrics = evaluate_fn(model)
    result.model = model
    if config.save_model and config.output_dir and accelerator.is_main_process:
        save_reward_model(model, tokenizer, config.output_dir)  # atomic: written beside, moved in whole
        mark_finished(config.output_dir)
    accelerator.wait_for_everyone()
    return result


def position_limit(model) -> int | None:
    """The most tokens the model's position embeddings cover, or None when it has no such limit."""
    config = getattr(model, "config", None)
    limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    if not isinstance(limit, int):
        return None
    if "roberta" in str(getattr(config, "backbone_model_type", None) or getattr(config, "model_type", "")):
        limit -= 2  # RoBERTa's positions start after the padding index (padding_idx + 1 = 2)
    return limit


def check_max_length(max_length: int, model, flag: str = "max_length") -> None:
    """UserError before any work when ``max_length`` exceeds the model's position limit (it would
    crash mid-run, at the first batch that long)."""
    limit = position_limit(model)
    if limit is not None and max_length > limit:
        raise UserError(f"{flag} {max_length} is above the model's position limit of {limit} tokens "
                        f"(its max_position_embeddings); pass --max-length {limit} or less")


def _run(config, accelerator, model, optimiser, scheduler, loader, sampler, compute_loss, evaluate_fn,
         total, result, resume, run) -> None:
    """Optimiser steps until ``total``: accumulate, clip, step, log, evaluate, checkpoint.

    ``resume``: the checkpoint folder to start from, or None; ``run``: this run's fingerprint
    (:func:`~workbench.training.run_folder.fingerprint`), saved in each checkpoint."""
    step, epoch, skip = _resume(resume, accelerator, result)
    bar = tqdm(total=total, initial=step, desc="train", disable=not (config.progress and accelerator.is_main_process))
    window: dict[str, list] = {}  # metric name -> its values since the last log (floats or 0-d tensors)
    start = time.perf_counter()
    while step < total:  # one pass over the data (an epoch) per turn; a resumed epoch skips the batches done
        batches = accelerator.skip_first_batches(loader, skip) if skip else loader
        batches.set_epoch(epoch)  # accelerate's loader passes its own epoch counter on to the sampler
        sampler.set_epoch(epoch)
        for micro, batch in enumerate(batches, start=skip):
            metrics = _micro_step(config, accelerator, model, optimiser, scheduler, compute_loss, batch, step, epoch)
            result.items += _batch_items(batch)
            for k, v in metrics.items():
                window.setdefault(k, []).append(v.detach() if isinstance(v, torch.Tensor) else float(v))
            if not accelerator.sync_gradients:
                continue  # still accumulating: the optimiser has not stepped
            step += 1
            bar.update(1)
            if step % config.log_every == 0 or step == total:
                result.history.append({"step": step, "epoch": epoch, "lr": scheduler.get_last_lr()[0],
                                       **{k: _mean(v) for k, v in window.items()}})
                bar.set_postfix(loss=f"{result.history[-1].get('loss', float('nan')):.4f}")
                window = {}
            if config.eval_every and evaluate_fn is not None and step % config.eval_every == 0 and step < total:
                paused = time.perf_counter()
                result.history.append({"step": step, "eval": evaluate_fn(accelerator.unwrap_model(model))})
                start += time.perf_counter() - paused
            if config.save_every and step % config.save_every == 0:
                save_checkpoint(accelerator, config, step, {"step": step, "epoch": epoch, "batches_done": micro + 1,
                                                            "history": result.history, "run": run})
            if step >= total:
                break
        epoch, skip = epoch + 1, 0
    bar.close()
    result.steps, result.train_seconds = step, result.train_seconds + time.perf_counter() - start


def _micro_step(config, accelerator, model, optimiser, scheduler, compute_loss, batch, step: int,
                epoch: int) -> dict:
    """Forward, backward and (on the last micro-step of an accumulation) clip and step; the metrics."""
    with accelerator.accumulate(model):
        try:
            loss, metrics = compute_loss(model, batch)
        except NonFiniteError as error:  # the scores themselves went non-finite: the run diverged here
            raise FloatingPointError(f"{error}, at optimiser step {step + 1}, epoch {epoch}; lower learning_rate "
                                     f"or check the data") from None
        # The one host sync per micro-step, on purpose: a non-finite loss must stop the run before
        # optimiser.step() writes it into the weights, and the error names the step it happened at.
        if not torch.isfinite(loss.detach()):
            raise FloatingPointError(f"non-finite loss {loss.item()} at optimiser step {step + 1}, "
                                     f"epoch {epoch}; lower learning_rate or check the data")
        accelerator.backward(loss)
        if accelerator.sync_gradients and config.max_grad_norm:
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimiser.step()
        scheduler.step()
        optimiser.zero_grad()
    return metrics


def _mean(values: list) -> float:
    """Mean of floats and 0-d tensors; the tensors cost one host sync, here at a logging step."""
    tensors = [v.double().reshape(()) for v in values if isinstance(v, torch.Tensor)]
    total = sum(v for v in values if not isinstance(v, torch.Tensor))
    if tensors:
        total += torch.stack(tensors).sum().item()
    return total / len(values)


def _batch_items(batch: dict) -> int:
    """Pairs or lists in a batch (``mask`` (B, K) for lists, ``margin`` (B,) for pairs)."""
    for key in ("mask", "margin", "labels"):
        if key in batch:
            return len(batch[key])
    return len(next(iter(batch.values())))


def _resume(folder: Path | None, accelerator, result) -> tuple[int, int, int]:
    """(step, epoch, batches to skip in that epoch) from the checkpoint ``folder``, or zeros."""
    if folder is None:
        return 0, 0, 0
    state = json.loads((folder / STATE_FILE).read_text())  # train() checked it against this run
    accelerator.load_state(str(folder))
    result.history = list(state["history"])
    return int(state["step"]), int(state["epoch"]), int(state["batches_done"])
