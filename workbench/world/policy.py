"""The world's policy: a tiny causal LM trained on mistaken traces, then sampled like any LM.

    model, tokenizer, result = train_policy(PolicyConfig())        # ~1 min on one CPU core, 82k parameters
    problems = PolicyConfig().problems(200, seed=999)              # held out: another seed
    greedy_accuracy(model, tokenizer, problems)                    # ~0.45 at the defaults (30-70%)
    samples = sample_solutions(model, tokenizer, problems, n=16)   # [P][n] completions
    model, tokenizer = cached_policy(PolicyConfig())               # trained once, then read from disk

Training is supervised fine-tuning on ``question + "\\n" + trace + </s>`` with
the loss on the trace's tokens only (the question is given, not predicted):

    L = -(1/|C|) sum_{t in C} log p(x_t | x_<t),   C = the completion's tokens

Each training example is a fresh problem with one trace (``world.traces``),
so the model sees the mistake *rates*, never one solution to memorise. It
runs in the project's one loop (``workbench.training.train``) with this
objective and collator plugged in. Prompts are ``question + "\\n"`` and a
completion is one step per line, so the same model serves
``prm.policy.TransformersPolicy`` (rollouts from a prefix), ``model.generate``
and TRL's ``GRPOTrainer`` (prompt column = ``question + "\\n"``).

The defaults are sized to one CPU core and one minute (measured: 60-70 s,
greedy accuracy 0.45 on held-out problems, seed 0): a 2-layer, 64-wide Llama,
1500 steps of 16 problems, problems of 3-6 operations on values up to 29
(operands up to 5). Values up to 99 need carries across two digits, which
this budget does not teach (greedy accuracy 0.05: slips everywhere); the
world's rules are the same, only the numbers are smaller.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from workbench.world.checker import label_solution
from workbench.world.models import tiny_causal_lm
from workbench.world.tasks import WorldProblem, make_problems
from workbench.world.tokenizer import world_tokenizer
from workbench.world.traces import TraceConfig, make_traces

IGNORE = -100


@dataclass
class PolicyConfig:
    """One policy training run (see the module docstring for why these defaults)."""

    max_steps: int = 1500  # optimiser steps; one fresh problem per example, batch_size a step
    batch_size: int = 16  # more, smaller steps learn faster than fewer large ones at this size
    learning_rate: float = 1e-2  # tiny models from scratch take large steps
    steps: tuple[int, int] = (3, 6)  # operations per problem
    max_value: int = 29  # running values stay in [0, max_value] (world.tasks.make_problems)
    max_operand: int = 5
    arch: str = "llama"
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    seed: int = 0  # problems, traces, weights and batches all follow it
    trace: TraceConfig = field(default_factory=TraceConfig)
    progress: bool = True

    def problems(self, n: int, *, seed: int) -> list[WorldProblem]:
        """``n`` problems of the distribution this policy trains on (held-out ones: another seed)."""
        return make_problems(n, steps=self.steps, seed=seed, max_value=self.max_value, max_operand=self.max_operand)


def prompt_text(problem: WorldProblem | str) -> str:
    """What the policy continues: the question and a newline (``prm.policy.solution_text(q, [])``)."""
    question = problem.question if isinstance(problem, WorldProblem) else problem
    return question + "\n"


class TraceDataset(torch.utils.data.Dataset):
    """Encoded ``(prompt, completion)`` pairs: ``input_ids`` and ``labels`` (-100 on the prompt)."""

    def __init__(self, prompts: list[str], completions: list[str], tokenizer):
        self.items = []
        for prompt, completion in zip(prompts, completions):
            head = tokenizer(prompt)["input_ids"]
            tail = tokenizer(completion)["input_ids"] + [tokenizer.eos_token_id]
            self.items.append({"input_ids": head + tail, "labels": [IGNORE] * len(head) + tail})
        self.lengths = [len(item["input_ids"]) for item in self.items]  # the loop groups batches by length

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]


def make_lm_collator(pad_token_id: int):
    """``collate(items)``: right-padded ``input_ids``, ``attention_mask``, ``labels`` (B, T)."""

    def collate(items: list[dict]) -> dict:
        width = max(len(item["input_ids"]) for item in items)
        ids = torch.full((len(items), width), pad_token_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
        for row, item in enumerate(items):
            ids[row, :len(item["input_ids"])] = torch.tensor(item["input_ids"])
            labels[row, :len(item["labels"])] = torch.tensor(item["labels"])
        return {"input_ids": ids, "attention_mask": (ids != pad_token_id).long(), "labels": labels}

    return collate


def completion_objective(model, batch: dict) -> tuple[torch.Tensor, dict]:
    """Mean next-token cross-entropy over completion tokens (``labels != -100``); see the module docstring."""
    output = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
    return output.loss, {"loss": float(output.loss.detach())}


def train_policy(config: PolicyConfig = PolicyConfig(), *, output_dir: str | Path | None = None):
    """Train a policy from scratch; returns ``(model, tokenizer, TrainResult)``. Saves to ``output_dir`` if set."""
    from workbench.training import TrainConfig, train

    tokenizer = world_tokenizer()
    problems = config.problems(config.max_steps * config.batch_size, seed=config.seed)
    traces = make_traces(problems, seed=config.seed + 1, config=config.trace)
    data = TraceDataset([prompt_text(p) for p in problems], traces, tokenizer)
    model = tiny_causal_lm(tokenizer, arch=config.arch, hidden=config.hidden, layers=config.layers,
                           heads=config.heads, seed=config.seed)
    loop = TrainConfig(output_dir=str(output_dir) if output_dir else "", save_model=output_dir is not None,
                       batch_size=config.batch_size, max_steps=config.max_steps, learning_rate=config.learning_rate,
                       warmup_ratio=0.02, weight_decay=0.01, seed=config.seed, mixed_precision="no",
                       progress=config.progress, log_every=50)
    result = train(loop, data, model=model, tokenizer=tokenizer, compute_loss=completion_objective,
                   collate_fn=make_lm_collator(tokenizer.pad_token_id))
    model = result.model.eval()
    return model, tokenizer, result


def load_policy(path: str | Path, *, device: str | None = None):
    """``(model, tokenizer)`` from a policy saved by ``train_policy(config, output_dir=path)``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no policy at {path}: train_policy(config, output_dir=path) makes one")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    return (model.to(device) if device else model), tokenizer


def policy_cache_dir(config: PolicyConfig) -> Path:
    """Where :func:`cached_policy` keeps the policy of ``config``: one folder per config.

    ``WORKBENCH_CACHE`` overrides the root (default ``~/.cache/workbench``). The key
    hashes every field but ``progress``, so another setting never reads a stale model.
    """
    import hashlib
    import json
    import os
    from dataclasses import asdict

    fields = {k: v for k, v in asdict(config).items() if k != "progress"}
    key = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]
    root = Path(os.environ.get("WORKBENCH_CACHE", Path.home() / ".cache" / "workbench"))
    return root / "world-policy" / key


def cached_policy(config: PolicyConfig = PolicyConfig()):
    """``(model, tokenizer)``: the policy of ``config``, trained on the first call and read from disk after.

    Training is deterministic per seed, so a cached model is the one a fresh run
    would give; notebooks call this so a rerun skips the minute of training.
    """
    import shutil
    import tempfile

    path = policy_cache_dir(config)
    if (path / "config.json").is_file():
        return load_policy(path)
    model, tokenizer, _ = train_policy(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent))  # written whole, then renamed: never half a model
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    try:
        staging.rename(path)
    except OSError:  # another process cached it first: same config, same model
        shutil.rmtree(staging, ignore_errors=True)
    return model, tokenizer


def _max_new_tokens(problems: list[WorldProblem]) -> int:
    """Room for every step of the longest problem plus a spare: ~16 tokens a step, 6 for the answer line."""
    return 16 * (max(len(p.operations) for p in problems) + 1) + 6


@torch.no_grad()
def sample_solutions(model, tokenizer, problems: list[WorldProblem], n: int = 1, *, temperature: float = 1.0,
                     batch_size: int = 256, seed: int | None = 0, progress: bool = False) -> list[list[str]]:
    """``n`` completions per problem (``[P][n]`` strings), batched with ``model.generate``.

    temperature 0 decodes greedily (then ``n`` copies are the same). Batches hold
    problems of similar length (less padding); ``seed`` makes sampling repeatable.
    """
    from tqdm.auto import tqdm

    from workbench.prm.policy import generate_batch

    if seed is not None:
        torch.manual_seed(seed)
    requests = sorted(((i, k) for i in range(len(problems)) for k in range(n)),
                      key=lambda r: len(problems[r[0]].question))
    out: list[list[str]] = [[""] * n for _ in problems]
    chunks = range(0, len(requests), batch_size)
    for start in tqdm(chunks, desc="sample", disable=not progress):
        chunk = requests[start:start + batch_size]
        texts = generate_batch(model, tokenizer, [prompt_text(problems[i]) for i, _ in chunk],
                               max_new_tokens=_max_new_tokens([problems[i] for i, _ in chunk]),
                               do_sample=temperature > 0, temperature=temperature if temperature > 0 else 1.0)
        for (i, k), text in zip(chunk, texts):
            out[i][k] = text.strip()
    return out


def greedy_accuracy(model, tokenizer, problems: list[WorldProblem], *, batch_size: int = 256) -> float:
    """Fraction of problems whose greedy completion states the right answer."""
    texts = sample_solutions(model, tokenizer, problems, 1, temperature=0.0, batch_size=batch_size)
    return sum(bool(label_solution(p, t[0]).is_correct) for p, t in zip(problems, texts)) / len(problems)


def kind_counts(problems: list[WorldProblem], samples: list[list[str]]) -> dict[str, int]:
    """How many samples are ``right``, ``wrong`` and ``right_after_wrong`` (``checker.KINDS``)."""
    from workbench.world.checker import KINDS

    counts = dict.fromkeys(KINDS, 0)
    for problem, texts in zip(problems, samples):
        for text in texts:
            counts[label_solution(problem, text).meta["kind"]] += 1
    return counts
