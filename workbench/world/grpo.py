"""The closed loop: TRL's ``GRPOTrainer`` on the world's policy, watched against the exact checker.

    model, tokenizer = cached_policy(PolicyConfig(progress=False))
    run = run_grpo(model, tokenizer, [gold_correctness], GRPORunConfig())   # RLVR, ~40 s on one CPU core
    run.end_accuracy, run.start_accuracy                                    # ~0.72 against 0.57 (seed 0)
    run_grpo(model, tokenizer, [make_random_reward(0)], GRPORunConfig())     # a broken reward: no rise

Every step is TRL's own (generation, group-normalised advantages, the
clipped loss, ``beta`` for its KL penalty); the reward functions go in
unchanged. What this module adds is the *watching*, which a real RLHF run
cannot do: the world's checker knows the truth, so each step's sampled
completions are scored by the gold reward as well as by the proxy.

How it watches without changing the training signal: one extra reward
function, ``monitor``, with weight 0 in ``reward_weights``, that returns
``None`` for every completion (TRL's ``nansum`` skips it, so the advantages and
the logged ``reward`` are the proxy's alone, and a completion is still
"unscorable" only when every proxy returns None) and reports through TRL's
``log_metric`` keyword: ``gold/mean``, ``gold/accuracy``, ``kl/token``,
``kl/sequence`` and ``disagreement``. They land in ``trainer.state.log_history``
beside TRL's own keys (``reward``, ``rewards/<name>/mean``,
``completions/mean_length``, ``kl`` when ``beta > 0``, ``entropy``), one entry
a step (``logging_steps=1``), and a callback turns them into :class:`StepLog`.

**KL to the start**, the same estimator for every arm (TRL logs ``kl`` only
when ``beta > 0``, and against its reference, which is the start too): a
frozen copy of the start policy scores each step's sampled completions, and

    r_t = log pi_ref(y_t | y_<t) - log pi(y_t | y_<t)          (both at the sampling temperature)
    kl/token    = mean_t (exp(r_t) - r_t - 1)                  Schulman's k3, TRL's ``kl``: >= 0
    kl/sequence = mean_y sum_t (-r_t)                          k1 summed: unbiased for KL(pi || pi_ref) of
                                                               whole completions (Gao et al., 2022's d^2)

both on the completions pi sampled, so they estimate KL(pi || pi_ref).

**Ensemble disagreement**: a reward function with a method
``uncertainty(prompts, completions) -> list[float]`` (duck-typed, e.g.
``workbench.rewards.ensemble.RewardEnsemble``) has its mean logged as
``disagreement`` (the mean over such functions when several).

Measured (benchmarks/RESULTS.md, "GRPO on the world"): at the defaults (100
steps, ~40 s on one core) RLVR raises greedy accuracy on 200 held-out problems
from 0.57 by +0.11 to +0.19 on 5 seeds; a random reward lowers it (-0.17 to
-0.48). Adam moves every weight by about ``lr`` a step whatever the
gradient's size, so a learning rate of 3e-3 (a third of what the policy was
trained with) wrecks this 82k-parameter model within 60 steps (accuracy 0,
entropy up 7x); 3e-4 is the default.
"""
from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, field

import torch

from workbench.world.checker import label_solution
from workbench.world.policy import PolicyConfig, prompt_text, sample_solutions
from workbench.world.tasks import WorldProblem, parse_question

MONITOR = "monitor"
HELDOUT_SEED = 2  # the held-out problems' seed; the policy trained on seed 0's
TRAIN_SEED = 100  # GRPO's prompts: seed TRAIN_SEED + config.seed, never the held-out seed for seed >= 0


def world_dataset(problems: list[WorldProblem]):
    """An HF ``Dataset`` for ``GRPOTrainer``: columns ``prompt`` (question + "\\n"), ``question``, ``answer`` (str).

    ``question`` is all the gold rewards need (``checker.label_solution`` parses
    the problem back from it); ``answer`` serves answer-only rewards.
    """
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [prompt_text(p) for p in problems],
                              "question": [p.question for p in problems],
                              "answer": [str(p.answer) for p in problems]})


def _texts(completions) -> list[str]:
    from workbench.rewards._text import completion_texts

    return completion_texts(completions)


def _questions(question, prompts, n: int) -> list[str]:
    """The ``question`` column, or the prompts (question + "\\n") when a dataset has no such column."""
    from workbench.rewards._text import column

    if question is None and prompts is not None:
        question = [p if isinstance(p, str) else p[-1]["content"] for p in prompts]
    return [q.strip() for q in column(question, "question", n)]


def gold_correctness(completions, question=None, prompts=None, **kwargs) -> list[float]:
    """The exact checker's outcome: 1.0 iff the completion's ``#### N`` is the problem's answer.

    >>> gold_correctness(["He gets 5 more, so Tom has 7 + 5 = 12 apples.\\n#### 12", "#### 11"],
    ...                  question=["Tom has 7 apples. He gets 5 more. How many apples does Tom have?"] * 2)
    [1.0, 0.0]
    """
    texts = _texts(completions)
    return [label_solution(q, text).meta["outcome"] for q, text in zip(_questions(question, prompts, len(texts)),
                                                                        texts)]


def gold_partial_credit(completions, question=None, prompts=None, **kwargs) -> list[float]:
    """First-error credit: ``(steps right before the first wrong one + [answer right]) / (S + 1)``.

    S is the problem's number of operations. Step labels are the checker's
    (monotone: a step counts only while every earlier one is right), so a right
    answer after a wrong step earns the answer's share and the right prefix,
    not full marks; only a wholly right solution scores 1.

    >>> gold_partial_credit(["He gets 5 more, so Tom has 7 + 5 = 12 apples.\\n#### 12",
    ...                      "He gets 5 more, so Tom has 7 + 5 = 13 apples.\\n#### 12", "#### 12"],
    ...                     question=["Tom has 7 apples. He gets 5 more. How many apples does Tom have?"] * 3)
    [1.0, 0.5, 0.5]
    """
    texts = _texts(completions)
    scores = []
    for q, text in zip(_questions(question, prompts, len(texts)), texts):
        record = label_solution(q, text)
        operations = len(parse_question(q).operations)
        scores.append((sum(record.labels) + record.meta["outcome"]) / (operations + 1))
    return scores


def make_random_reward(seed: int = 0, *, rate: float = 0.5):
    """A broken reward for controls: 1.0 with probability ``rate``, whatever the completion says.

    >>> make_random_reward(0)(["a", "b", "c", "d"])
    [0.0, 0.0, 1.0, 1.0]
    """
    rng = random.Random(seed)

    def random_reward(completions, **kwargs) -> list[float]:
        return [float(rng.random() < rate) for _ in _texts(completions)]

    return random_reward


@dataclass
class GRPORunConfig:
    """One GRPO run on the world's policy; the defaults fit a notebook on one CPU core (~40 s)."""

    steps: int = 100  # optimiser steps; the rise shows from ~60 (RESULTS.md)
    num_generations: int = 8  # G completions a prompt: the group that baselines each reward
    batch_size: int = 32  # completions a step (TRL's per_device_train_batch_size): 4 prompts x 8
    learning_rate: float = 3e-4  # 3e-3 wrecks the 82k-parameter policy in 60 steps; 1e-4 rises slower
    beta: float = 0.0  # TRL's KL penalty to the start; 0 (TRL's default) loads no reference model
    temperature: float = 1.0  # sampling temperature (the policy's own distribution)
    max_completion_length: int = 118  # the longest default problem's solution: 16 tokens x (6 + 1) + 6
    seed: int = 0  # TRL's seed (sampling, shuffling) and the training problems'
    train_problems: int = 1000  # prompts drawn (each used about once at the defaults)
    eval_problems: int = 200  # held-out problems when run_grpo gets none
    eval_every: int = 25  # held-out accuracy at step 0, every k steps and at the end
    eval_temperature: float = 0.0  # 0: greedy (no sampling noise); > 0: eval_samples samples a problem
    eval_samples: int = 1
    reward_weights: list[float] | None = None  # TRL's, one per reward function; None: all 1
    progress: bool = True

    def grpo_config(self, output_dir: str, n_rewards: int):
        """TRL's ``GRPOConfig`` for this run (the monitor's weight 0 appended; see the module docstring)."""
        from trl import GRPOConfig

        weights = list(self.reward_weights) if self.reward_weights is not None else [1.0] * n_rewards
        if len(weights) != n_rewards:
            raise ValueError(f"reward_weights: {len(weights)} weights for {n_rewards} reward functions")
        return GRPOConfig(output_dir=output_dir, max_steps=self.steps, num_generations=self.num_generations,
                          per_device_train_batch_size=self.batch_size, learning_rate=self.learning_rate,
                          beta=self.beta, temperature=self.temperature,
                          max_completion_length=self.max_completion_length, seed=self.seed,
                          reward_weights=weights + [0.0], lr_scheduler_type="constant", warmup_steps=0,
                          logging_steps=1, report_to=[], save_strategy="no", bf16=False,
                          activation_checkpointing=False,  # TRL's default is on; at 82k it costs more than it saves
                          dataloader_pin_memory=False,  # nothing to pin on a CPU; TRL warns otherwise
                          disable_tqdm=True)  # our own bar (a row of logs a step is too much to print)


@dataclass
class StepLog:
    """One GRPO step, measured on the completions sampled for it (before its update).

    gold: the gold reward's mean; accuracy: the checker's correctness (the same
    when gold is :func:`gold_correctness`); proxy: TRL's ``reward`` (weighted
    sum of the reward functions, mean over completions); rewards: each
    function's mean; length: mean completion tokens; kl_token, kl_sequence: to
    the start (module docstring); trl_kl: TRL's ``kl`` (beta > 0 only);
    disagreement: mean ensemble uncertainty (None without one);
    heldout_accuracy: on the held-out problems after this step (None between
    evaluations); seconds: since training began.
    """

    step: int
    gold: float
    accuracy: float
    proxy: float
    rewards: dict[str, float]
    length: float
    kl_token: float
    kl_sequence: float
    trl_kl: float | None = None
    disagreement: float | None = None
    heldout_accuracy: float | None = None
    seconds: float = 0.0


@dataclass
class GRPORun:
    """What :func:`run_grpo` returns: the history, the trained copy, and the held-out accuracy before it."""

    history: list[StepLog]
    model: object
    start_accuracy: float
    config: GRPORunConfig
    seconds: float
    log_history: list[dict] = field(default_factory=list)  # TRL's own, untouched

    @property
    def end_accuracy(self) -> float:
        return next(s.heldout_accuracy for s in reversed(self.history) if s.heldout_accuracy is not None)

    def rows(self) -> list[dict]:
        """The history as dicts (``pandas.DataFrame(run.rows())``)."""
        from dataclasses import asdict

        return [asdict(step) for step in self.history]


def heldout_accuracy(model, tokenizer, problems: list[WorldProblem], *, temperature: float = 0.0,
                     samples: int = 1, seed: int = 0) -> float:
    """Share of the held-out completions the checker calls right (greedy at temperature 0)."""
    texts = sample_solutions(model, tokenizer, problems, samples if temperature > 0 else 1,
                             temperature=temperature, seed=seed)
    outcomes = [label_solution(p, t).meta["outcome"] for p, row in zip(problems, texts) for t in row]
    return sum(outcomes) / len(outcomes)


def _mean(values) -> float:
    values = [float(v) for v in values if v is not None]
    return sum(values) / len(values) if values else float("nan")


@torch.no_grad()
def completion_logprobs(model, prompt_ids: list[list[int]], completion_ids: list[list[int]], *, pad_token_id: int,
                        temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token ``log p(y_t | x, y_<t)`` of each completion: ``(logps, mask)``, both (N, T) with T the longest.

    Right-padded, so positions count from the prompt's first token as in training.
    """
    rows = [list(p) + list(c) for p, c in zip(prompt_ids, completion_ids)]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row)
    device = next(model.parameters()).device
    attention = (torch.arange(width)[None, :] < torch.tensor([len(r) for r in rows])[:, None]).long()
    logits = model(input_ids=ids.to(device), attention_mask=attention.to(device)).logits[:, :-1].float()
    logps = (logits / temperature).log_softmax(-1).gather(-1, ids[:, 1:, None].to(device)).squeeze(-1).cpu()
    out = torch.zeros(len(rows), max(len(c) for c in completion_ids))
    mask = torch.zeros_like(out, dtype=torch.bool)
    for i, (prompt, completion) in enumerate(zip(prompt_ids, completion_ids)):
        start = len(prompt) - 1  # logits at position j predict token j + 1
        out[i, :len(completion)] = logps[i, start:start + len(completion)]
        mask[i, :len(completion)] = True
    return out, mask


def kl_to_reference(logps: torch.Tensor, reference_logps: torch.Tensor, mask: torch.Tensor) -> tuple[float, float]:
    """``(kl/token, kl/sequence)`` from the sampling policy's and the reference's log-probs (module docstring).

    logps, reference_logps, mask: (N, T) over completion tokens.
    """
    ratio = (reference_logps - logps).masked_fill(~mask, 0.0)
    per_token = (ratio.exp() - ratio - 1).masked_fill(~mask, 0.0)
    tokens = mask.sum().clamp(min=1)
    return float(per_token.sum() / tokens), float((-ratio).sum(-1).mean())


class Monitor:
    """The weight-0 reward function that scores each step's samples by the gold reward and logs them.

    Returns None for every completion, so TRL's advantages are the proxy's alone
    (see the module docstring); reports through TRL's ``log_metric`` keyword.
    """

    def __init__(self, policy, reference, tokenizer, reward_funcs, gold, *, temperature: float):
        self.__name__ = MONITOR  # TRL names a reward function's logs by it
        self.policy, self.reference, self.tokenizer = policy, reference, tokenizer
        self.uncertain = [f for f in reward_funcs if callable(getattr(f, "uncertainty", None))]
        self.gold, self.temperature = gold, temperature

    def __call__(self, completions, prompts=None, completion_ids=None, log_metric=None, **columns):
        if log_metric is not None:
            log_metric("gold/mean", _mean(self.gold(completions, prompts=prompts, **columns)))
            log_metric("gold/accuracy", _mean(gold_correctness(completions, prompts=prompts, **columns)))
            if completion_ids is not None and prompts is not None:
                prompt_ids = self.tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
                pad = self.tokenizer.pad_token_id
                logps, mask = completion_logprobs(self.policy, prompt_ids, completion_ids, pad_token_id=pad,
                                                  temperature=self.temperature)
                reference, _ = completion_logprobs(self.reference, prompt_ids, completion_ids, pad_token_id=pad,
                                                   temperature=self.temperature)
                kl_token, kl_sequence = kl_to_reference(logps, reference, mask)
                log_metric("kl/token", kl_token)
                log_metric("kl/sequence", kl_sequence)
            if self.uncertain:
                log_metric("disagreement", _mean(_mean(f.uncertainty(prompts, completions)) for f in self.uncertain))
        return [None] * len(completions)


class HistoryWatch:
    """Turns each step's logs into a :class:`StepLog`, evaluates the held-out set, drives a tqdm bar.

    The Trainer callback's events; :func:`history_callback` mixes in ``TrainerCallback``
    (there, not here, so that importing this module does not import transformers).
    """

    def __init__(self, tokenizer, eval_problems: list[WorldProblem], config: GRPORunConfig):
        self.tokenizer, self.eval_problems, self.config = tokenizer, eval_problems, config
        self.history: list[StepLog] = []
        self.start_accuracy = float("nan")
        self.pending: float | None = None
        self.bar, self.started = None, 0.0

    def evaluate(self, model) -> float:
        state = torch.get_rng_state()  # sample_solutions seeds torch; TRL's own sampling must not repeat
        try:
            return heldout_accuracy(model, self.tokenizer, self.eval_problems, temperature=self.config.eval_temperature,
                                    samples=self.config.eval_samples)
        finally:
            torch.set_rng_state(state)

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        from tqdm.auto import tqdm

        self.start_accuracy = self.evaluate(model)
        self.bar = tqdm(total=state.max_steps, desc="grpo", disable=not self.config.progress)
        self.started = time.perf_counter()

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step % self.config.eval_every == 0 or state.global_step >= state.max_steps:
            self.pending = self.evaluate(model)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "reward" not in logs:
            return  # the end-of-training summary
        names = [k for k in logs if k.startswith("rewards/") and k.endswith("/mean") and f"/{MONITOR}/" not in k]
        step = StepLog(step=state.global_step, gold=logs.get("gold/mean"), accuracy=logs.get("gold/accuracy"),
                       proxy=logs["reward"], rewards={k[len("rewards/"):-len("/mean")]: logs[k] for k in names},
                       length=logs.get("completions/mean_length"), kl_token=logs.get("kl/token"),
                       kl_sequence=logs.get("kl/sequence"), trl_kl=logs.get("kl"),
                       disagreement=logs.get("disagreement"), heldout_accuracy=self.pending,
                       seconds=time.perf_counter() - self.started)
        self.history.append(step)
        self.pending = None
        self.bar.update(1)
        shown = {"gold": step.accuracy, "proxy": step.proxy, "kl": step.kl_token}
        if step.heldout_accuracy is not None:
            shown["held-out"] = step.heldout_accuracy
        self.bar.set_postfix({k: f"{v:.3f}" for k, v in shown.items() if v is not None}, refresh=False)

    def on_train_end(self, args, state, control, **kwargs):
        self.bar.close()


def history_callback(tokenizer, eval_problems: list[WorldProblem], config: GRPORunConfig):
    """A ``TrainerCallback`` with :class:`HistoryWatch`'s events (the other events: TrainerCallback's no-ops)."""
    from transformers import TrainerCallback

    return type("HistoryCallback", (HistoryWatch, TrainerCallback), {})(tokenizer, eval_problems, config)


def run_grpo(model, tokenizer, reward_funcs, config: GRPORunConfig = GRPORunConfig(), *, gold=gold_correctness,
             problems: list[WorldProblem] | None = None,
             eval_problems: list[WorldProblem] | None = None) -> GRPORun:
    """GRPO with TRL's ``GRPOTrainer`` on a copy of ``model``; ``model`` itself is left untouched.

    reward_funcs: TRL reward functions (the proxy), passed to the trainer as
    they are. gold: the gold reward scored on every step's samples.
    problems: training prompts (default ``config.train_problems`` drawn with
    seed ``TRAIN_SEED + config.seed``); eval_problems: held-out ones (default
    ``config.eval_problems`` drawn with ``HELDOUT_SEED``; both from
    ``PolicyConfig()``'s distribution and apart from the policy's own seed 0).
    """
    import tempfile

    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOTrainer

    reward_funcs = list(reward_funcs) if isinstance(reward_funcs, (list, tuple)) else [reward_funcs]
    problems = problems or PolicyConfig().problems(config.train_problems, seed=TRAIN_SEED + config.seed)
    eval_problems = eval_problems or PolicyConfig().problems(config.eval_problems, seed=HELDOUT_SEED)
    policy = copy.deepcopy(model).train()
    reference = copy.deepcopy(model).eval().requires_grad_(False)
    monitor = Monitor(policy, reference, tokenizer, reward_funcs, gold, temperature=config.temperature)
    watch = history_callback(tokenizer, eval_problems, config)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="workbench-grpo-") as scratch:
        name = policy.config._name_or_path
        if config.beta > 0:  # TRL builds its reference from the config's path: make that path the start
            reference.save_pretrained(f"{scratch}/start")
            policy.config._name_or_path = f"{scratch}/start"
        trainer = GRPOTrainer(model=policy, reward_funcs=[*reward_funcs, monitor],
                              args=config.grpo_config(f"{scratch}/out", len(reward_funcs)),
                              train_dataset=world_dataset(problems), processing_class=tokenizer, callbacks=[watch])
        policy.config._name_or_path = name
        trainer.remove_callback(PrinterCallback)
        trainer.train()
    policy.eval()
    return GRPORun(watch.history, policy, watch.start_accuracy, config, time.perf_counter() - started,
                   list(trainer.state.log_history))
