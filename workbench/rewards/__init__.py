"""Rule-based rewards (RLVR) in TRL's reward-function signature.

Every reward here is ``f(completions, **kwargs) -> list[float | None]``:
``completions`` are strings or chat message lists
(``[{"role": "assistant", "content": ...}]``), extra dataset columns arrive as
keyword lists with one entry per completion, and ``None`` means "not
applicable" (TRL then ignores that reward for that row). Each can be passed
to ``trl.GRPOTrainer(reward_funcs=[...])`` unchanged. Parametrised rewards
come from ``make_<what>_reward(...)`` factories.

Format (:mod:`.format`)
    ``format_reward(completions)``: 1.0 for ``<think>...</think><answer>...</answer>``, else 0.0.
    ``make_format_reward(pattern=None, *, tags=("think", "answer"), mode="strict" | "partial")``.

Correctness (:mod:`.correctness`)
    ``correctness_reward(completions, ground_truth, **kw)``: 1.0 / 0.0, None when the reference
    cannot be parsed; answers from ``<answer>``, ``\\boxed{}``, ``#### N``, ``A: N`` or the last
    number; compared by Math-Verify, plain numbers with a tolerance.
    ``make_correctness_reward(*, extractors, reference_extractors, column_name="ground_truth",
    rel_tol=1e-6, abs_tol=1e-9, correct=1.0, wrong=0.0)``;
    ``extract_answer(text, extractors)``, ``answers_match(prediction, reference)``.

Code execution (:mod:`.execution`, :mod:`.sandbox`)
    ``code_execution_reward(completions, test_cases, *, timeout=2.0, timeout_penalty=0.0)``:
    fraction of each completion's tests (``test_cases``: one list per completion of test
    strings, e.g. ``"assert add(1, 2) == 3"``, or standard-I/O cases
    ``{"input": "1 2", "output": "3"}``) passed in the bubblewrap sandbox. Test strings are
    trusted code: they run in this process against proxies of the completion's names.
    ``make_code_execution_reward(*, timeout, timeout_penalty, partial_credit=True, extract,
    limits=SandboxLimits(), workers=None, use_bwrap=None)``;
    ``run_code_tests(codes, test_cases, *, timeout)`` -> per-test ``"pass"/"fail"/"timeout"``;
    ``run_programs(codes, stdins=None, *, timeout)`` -> ``("ok", output)`` / ``("error", msg)`` /
    ``("timeout", "")`` per program (code steps of a PRM, say);
    ``extract_code(text)``: the last fenced Python block.
    ``naive_code_reward(completions, test_cases)``: the textbook runner (no isolation,
    forgeable), kept to teach and to benchmark against.

Length (:mod:`.shaping`)
    ``make_length_penalty(target, *, coef=1.0)``, ``make_soft_overlong_reward(max_length,
    cache_length)`` (DAPO), ``make_group_length_penalty(correctness)`` (Kimi k1.5);
    lengths from TRL's ``completion_ids`` when given.

From checkpoints (:mod:`.checkpoint`) and ensembles (:mod:`.ensemble`), ``f(prompts, completions, **kw)``
    ``reward_model_reward(path, *, batch_size=64, device=None, max_length=None, raw=False)``: a reward
    model's score as ``workbench score`` gives it (its saved centering and length calibration applied;
    ``raw=True`` skips them), batched by length on the trainer's device; ``score_completions(model,
    tokenizer, prompts, completions, *, corrections)`` is the same without the loading.
    ``RewardEnsemble(members, aggregate="mean" | "median" | "min" | "uncertainty", lam=1.0,
    reference=None)`` (Coste et al. 2023): one reward from k members, ``member_scores(prompts,
    completions) -> (k, B)``, ``uncertainty(...)`` (std across members); ``combine_members(scores, aggregate)``.
    A PRM as a reward is ``workbench.prm.prm_reward(path, *, aggregate="min", shaping=False)``: in ``prm``,
    which imports ``rewards`` (so no arrow back).

Example (what TRL does with each reward):

>>> completions = [[{"role": "assistant", "content": "<think>6*7</think><answer>42</answer>"}]]
>>> format_reward(completions), correctness_reward(completions, ground_truth=["#### 42"])
([1.0], [1.0])
"""
from workbench._lazy import lazy_exports
from workbench.rewards._text import completion_text, completion_texts
from workbench.rewards.correctness import (
    EXTRACTORS,
    answers_match,
    correctness_reward,
    extract_answer,
    make_correctness_reward,
)
from workbench.rewards.execution import (
    code_execution_reward,
    extract_code,
    make_code_execution_reward,
    naive_code_reward,
    run_code_tests,
    run_programs,
)
from workbench.rewards.format import format_reward, make_format_reward
from workbench.rewards.sandbox import SandboxLimits, bwrap_path
from workbench.rewards.shaping import (
    completion_lengths,
    make_group_length_penalty,
    make_length_penalty,
    make_soft_overlong_reward,
)

# The checkpoint rewards and the ensemble (numpy, torch) load on first use (PEP 562), so that
# `workbench --help`, which imports rewards/cli.py and so this package, stays light.
__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(("reward_model_reward", "score_completions", "resolve_device"), "checkpoint"),
    **dict.fromkeys(("AGGREGATES", "RewardEnsemble", "combine_members"), "ensemble"),
})

__all__ = [
    "AGGREGATES",
    "EXTRACTORS",
    "RewardEnsemble",
    "SandboxLimits",
    "answers_match",
    "bwrap_path",
    "code_execution_reward",
    "combine_members",
    "completion_lengths",
    "completion_text",
    "completion_texts",
    "correctness_reward",
    "extract_answer",
    "extract_code",
    "format_reward",
    "make_code_execution_reward",
    "make_correctness_reward",
    "make_format_reward",
    "make_group_length_penalty",
    "make_length_penalty",
    "make_soft_overlong_reward",
    "naive_code_reward",
    "resolve_device",
    "reward_model_reward",
    "run_code_tests",
    "run_programs",
    "score_completions",
]
