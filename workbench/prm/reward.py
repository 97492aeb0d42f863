"""A PRM checkpoint as a TRL reward function: step scores aggregated, or a potential-shaped return.

    reward = prm_reward("runs/prm", aggregate="min")    # one reward per completion
    GRPOTrainer(..., reward_funcs=[checker, reward])    # logged as rewards/prm_min_prm/mean

Each completion is split into steps as the rest of the package splits them
(:func:`~workbench.prm.records.split_steps`: one step per non-empty line, a last
``#### N`` / ``The answer is N`` line being the final answer). With
``answer_step=True`` that answer line is scored as a last step, as the world's
verifiers are trained (:func:`workbench.world.verifiers.with_answer_step`;
PRM800K puts the answer in the last step, Lightman et al. 2023): scored on its
steps alone, a solution that stops early after right steps would get every
step's approval. The steps are scored by
:func:`~workbench.prm.model.prm_step_scores` (prefix-only: step s sees the
question and steps 1..s), then

* ``shaping=False``: :func:`~workbench.prm.scoring.aggregate` of the S step
  scores ``p_1..p_S`` (``min``, ``product``, ``last``, ``mean``);
* ``shaping=True``: the return of potential-based shaping (Ng, Harada & Russell
  1999) with the step scores as potentials, ``Φ(s_t) = p_t``, and no reward of
  its own (``r_t = 0``; the outcome reward is another of TRL's reward functions,
  which TRL adds): ``G = sum_t γ^(t-1) (γ Φ(s_t) - Φ(s_{t-1}))`` with the steps of
  :func:`~workbench.prm.scoring.potential_shaping`.

What shaping can and cannot do here. ``G`` telescopes to ``γ^S Φ(s_S) - Φ(s_0)``.
GRPO gives one advantage per completion, computed from this return, so the
per-step credit that shaping exists for (a dense signal at each step, Ng et al.'s
motivation) is not seen by ``GRPOTrainer``; what reaches it is the final
potential, discounted by the number of steps when ``γ < 1``. With
``terminal_zero=True`` (Ng et al.'s episodic form, ``Φ = 0`` at the end) the
return is the constant ``-Φ(s_0)``: exactly their policy-invariance guarantee,
and exactly no signal. The default ``terminal_zero=False`` keeps the final
potential, so the reward says "end in a state the PRM approves", which is not
policy-invariant: a PRM that can be fooled can be hacked through it.

A completion with no step (empty, or every step cut by ``max_length``) gets
``empty`` (default 0.0: no solution). Device: as
:func:`workbench.rewards.checkpoint.reward_model_reward` (explicit, else the
running ``accelerate`` state's, else CUDA if available, else CPU; moved at the
first call).

Why in ``prm`` and not ``rewards``: ``prm`` imports ``rewards`` (code steps run in
its sandbox), and the layering allows no arrow back.
"""
from __future__ import annotations

from pathlib import Path

from workbench.prm.records import StepRecord, split_steps
from workbench.prm.scoring import AGGREGATIONS, aggregate as aggregate_steps, potential_shaping

REWARD_AGGREGATIONS = tuple(a for a in AGGREGATIONS if a != "max")  # max is a foil: it rewards one good step


def completion_steps(text: str, *, answer_step: bool = True) -> list[str]:
    """The steps of one solution text; with ``answer_step`` its final-answer line is the last step.

    >>> completion_steps("Tom has 2 + 3 = 5 apples.\\n#### 5")
    ['Tom has 2 + 3 = 5 apples.', '#### 5']
    >>> completion_steps("Tom has 2 + 3 = 5 apples.\\n#### 5", answer_step=False)
    ['Tom has 2 + 3 = 5 apples.']
    """
    steps, answer = split_steps(text)
    if answer_step and answer is not None:
        steps = steps + [text.strip().split("\n")[-1].strip()]  # the answer line as written
    return steps


def shaped_return(step_scores: list[float], *, gamma: float = 1.0, initial_potential: float = 0.0,
                  terminal_zero: bool = False) -> float:
    """``sum_t γ^(t-1) r'_t`` for ``r'_t = γ Φ(s_t) - Φ(s_{t-1})``, ``Φ(s_t)`` = step t's score.

    >>> shaped_return([0.5, 0.9])            # telescopes to Φ(s_2) - Φ(s_0) = 0.9 - 0
    0.9
    >>> shaped_return([0.5, 0.9], terminal_zero=True, initial_potential=0.2)   # -Φ(s_0)
    -0.2
    """
    shaped = potential_shaping([0.0] * len(step_scores), step_scores, gamma=gamma,
                               initial_potential=initial_potential, terminal_zero=terminal_zero)
    return float(sum(gamma ** t * r for t, r in enumerate(shaped)))


def prm_reward(path: str | Path, *, aggregate: str = "min", shaping: bool = False, gamma: float = 1.0,
               initial_potential: float = 0.0, terminal_zero: bool = False, answer_step: bool = True,
               empty: float = 0.0, batch_size: int = 32, device=None, max_length: int = 256,
               name: str | None = None):
    """A PRM checkpoint as ``f(prompts, completions, **kwargs) -> list[float]`` (see the module doc).

    path: a PRM folder (``workbench prm-train``'s output, or any
        ``AutoModelForTokenClassification`` checkpoint :func:`~workbench.prm.model.load_prm` loads).
    aggregate: ``min`` / ``product`` / ``last`` / ``mean`` (ignored with ``shaping``).
    gamma, initial_potential, terminal_zero: the shaping's (see :func:`shaped_return`).
    name: ``__name__`` for TRL's logs; default ``prm_<aggregate or "shaped">_<folder name>``.
    The returned function carries ``model`` and ``tokenizer``.
    """
    from workbench.prm.model import load_prm, prm_step_scores
    from workbench.rewards._text import completion_texts
    from workbench.rewards.checkpoint import resolve_device

    if aggregate not in REWARD_AGGREGATIONS:
        raise ValueError(f"aggregate: expected one of {REWARD_AGGREGATIONS}, got {aggregate!r}")
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma: expected 0 < gamma <= 1, got {gamma}")
    model, tokenizer = load_prm(str(path))
    model.eval().requires_grad_(False)
    placed = []

    def value(step_scores: list[float]) -> float:
        if not step_scores:
            return float(empty)
        if shaping:
            return shaped_return(step_scores, gamma=gamma, initial_potential=initial_potential,
                                 terminal_zero=terminal_zero)
        return aggregate_steps(step_scores, aggregate)

    def reward(prompts=None, completions=None, **kwargs) -> list[float]:
        if completions is None:
            raise ValueError("completions: this reward needs TRL's completions (one per prompt)")
        if not placed:
            placed.append(resolve_device(device))
            model.to(placed[0])
        texts = completion_texts(completions)
        # prompts stripped as split_steps strips steps: the world's prompt is the question plus "\n"
        questions = [q.strip() for q in completion_texts(prompts if prompts is not None else [""] * len(texts))]
        if len(questions) != len(texts):
            raise ValueError(f"prompts: has {len(questions)} entries but there are {len(texts)} completions")
        records = []
        for question, text in zip(questions, texts):
            steps = completion_steps(text, answer_step=answer_step)
            records.append(StepRecord(question, steps, [None] * len(steps)))
        scores = prm_step_scores(model, tokenizer, records, max_length=max_length, batch_size=batch_size)
        return [value(s) for s in scores]

    kind = "shaped" if shaping else aggregate
    reward.__name__ = name or f"prm_{kind}_{Path(str(path)).name or 'model'}"
    reward.model, reward.tokenizer = model, tokenizer
    return reward
