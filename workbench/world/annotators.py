"""Simulated annotators of known reliability on the world's pair tasks, the agreement filter, and RMs trained on both.

    config = PanelConfig()                                          # notebook 09's CPU defaults
    model, tokenizer = cached_policy(config.policy)
    train, held_out = pair_tasks(model, tokenizer, config)          # tasks: two samples of one problem, truth known
    judgements = annotate(train, config.annotators, seed=0)         # every annotator labels every task
    study = agreement_study(train, judgements, config)              # kept tasks, label accuracy, who was flagged
    models = train_reward_models(train, study, tokenizer, config, init=model)   # one RM per label set, same run
    evaluate(models, tokenizer, held_out)                           # held-out pairwise accuracy of each
    failed_claims(study, config, evaluate(models, tokenizer, held_out))  # [] when every asserted bound holds

A task is a pair of the policy's own samples of one problem, one with the
right answer and one with a wrong one, so the checker knows which is better
(``world.proxy.gold_rank``). The reward models read the policy's surprise
(``ProxyConfig(reader=True)``, ``world.reader``), so a wrong sample's first
error may be any kind, a slip in a units digit included (``WRONG_KINDS``);
without the reader a 2x64 model sees only ``VISIBLE`` ones, and barely.

An annotator is a number, ``p_correct``: the chance that they pick the
right sample, independently on every task (reliable ~0.9, careless ~0.6,
random 0.5, adversarial below 0.5). Their judgements have the store's shape
(``AnnotationStore.judgements("pairwise")``), so the project's agreement code
reads them unchanged: ``analysis.agreement.filter_by_agreement`` keeps the
tasks whose per-task kappa clears the threshold (Fleiss, 1971; with 7
annotators, 0.35 keeps 7-0 and 6-1 votes). Labels are then the majority vote,
over every task (unfiltered), over the kept ones (filtered), or by the
unflagged annotators over the tasks they agree on (trusted). Each
annotator's reliability is estimated from the pairwise kappas alone
(:func:`estimated_reliability`), with no use of the truth, and compared with
the truth afterwards; those below ``flag_below`` are flagged.
The reward models (``world.proxy.train_proxy``, same config and seed) are
trained on each label set and scored on tasks of held-out problems that none
saw, against the checker, never on the tasks the filter rejected. On seeds 0-2
the one on all tasks beat the one on the kept tasks (benchmarks/RESULTS.md):
a Bradley-Terry model shrugs off 20% symmetric label noise, and the filter
drops five tasks in six.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from workbench.prm.records import StepRecord
from workbench.world.policy import PolicyConfig
from workbench.world.proxy import ProxyConfig, completion_text, gold_rank, prompt_of, proxy_scores, train_proxy
from workbench.world.verifiers import labelled_samples

# first errors a tiny reward model can see alone (benchmarks/RESULTS.md): not "slip" (a units digit) nor "carried"
VISIBLE = ("format", "extra", "operation", "copy", "recovered")
# every first error: a reward model that reads the policy's surprise (ProxyConfig(reader=True)) sees slips too
WRONG_KINDS = VISIBLE + ("slip", "carried")


@dataclass(frozen=True)
class Annotator:
    """A simulated annotator: picks the right sample of a task with probability ``p_correct``."""

    name: str
    p_correct: float

    def __post_init__(self):
        if not 0.0 <= self.p_correct <= 1.0:
            raise ValueError(f"Annotator {self.name!r}: p_correct must be in [0, 1], got {self.p_correct}")


def default_panel() -> tuple[Annotator, ...]:
    """Seven annotators: two reliable, three careless, one random, one adversarial (majority label ~0.8 right)."""
    return (Annotator("reliable_1", 0.9), Annotator("reliable_2", 0.9), Annotator("careless_1", 0.6),
            Annotator("careless_2", 0.6), Annotator("careless_3", 0.6), Annotator("random", 0.5),
            Annotator("adversarial", 0.2))


@dataclass
class PanelConfig:
    """Sizes of one study; the defaults are notebook 09's CPU defaults (~4 min on one thread with the policy cached)."""

    policy: PolicyConfig = field(default_factory=lambda: PolicyConfig(progress=False))
    train_problems: int = 300  # the annotated tasks come from these problems' samples
    held_out_problems: int = 100  # another seed: tasks of problems no reward model saw
    samples: int = 8  # policy samples per problem; a task pairs two of them
    tasks_per_problem: int = 4  # drawn with replacement from the problem's right and visibly wrong samples
    annotators: tuple[Annotator, ...] = field(default_factory=default_panel)
    threshold: float = 0.35  # per-task kappa to keep a task (7 annotators: 7-0 and 6-1 votes)
    flag_below: float = 0.75  # an annotator whose estimated p_correct is below this is flagged
    reliable_from: float = 0.75  # the truth: p_correct below this is an unreliable annotator
    # reader=True: the RM reads the policy's surprise, so it can check a sum (without it: near chance, RESULTS.md)
    reward_model: ProxyConfig = field(default_factory=lambda: ProxyConfig(max_steps=300, reader=True))
    wrong_kinds: tuple[str, ...] = WRONG_KINDS  # first errors a task's wrong sample may have ("incomplete" always)
    seed: int = 0


def wrong_kind(record: StepRecord, kinds: tuple[str, ...] = WRONG_KINDS) -> str | None:
    """What is wrong with a wrong-answer sample (its first error if in ``kinds``, or ``"incomplete"``); None otherwise."""
    if record.is_correct:
        return None
    first = record.first_error
    if first is not None and record.meta["errors"][first] in kinds:
        return record.meta["errors"][first]
    return "incomplete" if not record.meta["complete"] and first is None else None


def tasks_from(records: list[list[StepRecord]], per_problem: int, *, seed: int, prefix: str,
               kinds: tuple[str, ...] = WRONG_KINDS) -> list[dict]:
    """Pair tasks of one right and one visibly wrong sample of a problem, ``per_problem`` at most for each.

    A task is ``{"id", "prompt", "responses": [a, b], "truth": 0|1, "problem", "wrong_kind"}``.

    ``truth`` is the index of the right response; sides are drawn at random so
    the right one is not always first. Problems without both kinds give none.
    """
    rng = random.Random(seed)
    tasks = []
    for problem, row in enumerate(records):
        right = [r for r in row if gold_rank(r)[0] == 1.0]
        wrong = [r for r in row if wrong_kind(r, kinds) is not None]
        for _ in range(min(per_problem, len(right), len(wrong)) if right and wrong else 0):
            bad = rng.choice(wrong)
            pair = [completion_text(rng.choice(right)), completion_text(bad)]
            truth = rng.randrange(2)
            responses = pair if truth == 0 else pair[::-1]
            tasks.append({"id": f"{prefix}{len(tasks)}", "prompt": prompt_of(row[0]), "responses": responses,
                          "truth": truth, "problem": problem, "wrong_kind": wrong_kind(bad, kinds)})
    return tasks


def pair_tasks(model, tokenizer, config: PanelConfig) -> tuple[list[dict], list[dict]]:
    """The annotated tasks and the held-out tasks (other problems), from the policy's own checked samples."""
    train_problems = config.policy.problems(config.train_problems, seed=50_000 + config.seed)
    held_out_problems = config.policy.problems(config.held_out_problems, seed=60_000 + config.seed)
    train = labelled_samples(model, tokenizer, train_problems, config.samples, seed=config.seed)
    held_out = labelled_samples(model, tokenizer, held_out_problems, config.samples, seed=config.seed + 1)
    return (tasks_from(train, config.tasks_per_problem, seed=config.seed, prefix="t", kinds=config.wrong_kinds),
            tasks_from(held_out, config.tasks_per_problem, seed=config.seed + 1, prefix="h", kinds=config.wrong_kinds))


def annotate(tasks: list[dict], annotators, *, seed: int = 0) -> list[dict]:
    """Every annotator's judgement of every task, as ``AnnotationStore.judgements("pairwise")`` returns them."""
    rng = np.random.default_rng(seed)
    judgements = []
    for annotator in annotators:
        right = rng.random(len(tasks)) < annotator.p_correct
        for task, correct in zip(tasks, right):
            winner = task["truth"] if correct else 1 - task["truth"]
            judgements.append({"task_id": task["id"], "kind": "pairwise", "annotator": annotator.name,
                               "label": {"winner": int(winner), "tie": False, "strength": None}})
    return judgements


def majority_vote(judgements: list[dict]) -> dict[str, int]:
    """Task id -> the winner most annotators picked (a tied vote goes to response 0, by a fixed rule)."""
    votes: dict[str, Counter] = {}
    for j in judgements:
        votes.setdefault(j["task_id"], Counter())[j["label"]["winner"]] += 1
    return {task: int(count[1] > count[0]) for task, count in votes.items()}


def estimated_reliability(judgements: list[dict], *, iterations: int = 200) -> dict[str, float]:
    r"""Each annotator's chance of being right, estimated from agreement alone (no truth): ``name -> p_hat``.

    For two annotators who are right independently with chances p_a, p_b on a
    two-way choice with balanced sides, Cohen's kappa is
    :math:`\kappa_{ab} = (2p_a - 1)(2p_b - 1)`: the kappa table
    (``analysis.agreement.pairwise_cohens_kappa``) is rank one off its diagonal.
    Its fit :math:`s = 2p - 1`, signed so that most annotators are better than
    chance, gives :math:`\hat p = (1 + s)/2` (the spectral idea of Ghosh, Kale
    & McAfee, 2011, *Who Moderates the Moderators?*). An adversary's s is negative.
    """
    from workbench.analysis.agreement import agreement_units, pairwise_cohens_kappa

    table = pairwise_cohens_kappa(agreement_units(judgements, "pairwise"))
    names = sorted(set(table["annotator_a"]) | set(table["annotator_b"]))
    index = {name: i for i, name in enumerate(names)}
    kappa = np.zeros((len(names), len(names)))
    for row in table.itertuples():
        a, b = index[row.annotator_a], index[row.annotator_b]
        kappa[a, b] = kappa[b, a] = row.kappa
    # rank-one fit of the off-diagonal: fill the diagonal with the fit's own s_a^2 and repeat (alternating LS)
    s = np.full(len(names), 0.5)
    for _ in range(iterations):
        np.fill_diagonal(kappa, s ** 2)
        values, vectors = np.linalg.eigh(kappa)
        s = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
    s = s if np.sum(np.sign(s)) >= 0 else -s
    return {name: float(np.clip((1 + s[index[name]]) / 2, 0.0, 1.0)) for name in names}


def agreement_study(tasks: list[dict], judgements: list[dict], config: PanelConfig, *,
                    keep=None) -> dict:
    """The filter's kept tasks, three label sets with their accuracy against the truth, and who was flagged.

    Label sets (``"labels"``, task id -> winner): ``"unfiltered"``, the majority
    of all annotators on every task; ``"filtered"``, the same votes on the tasks
    ``filter_by_agreement`` keeps; ``"trusted"``, the flagged annotators'
    judgements dropped first (flagged from agreement alone, no truth), then the
    same filter and vote over the rest (with the two reliable ones of the
    default panel: the tasks they agree on). keep: override the agreement
    filter of ``"filtered"`` with a list of task ids (the tests pass a random
    subset, a filter that knows nothing).
    """
    from workbench.analysis.agreement import filter_by_agreement

    kept = filter_by_agreement(judgements, "pairwise", threshold=config.threshold) if keep is None else list(keep)
    votes = majority_vote(judgements)
    truth = {t["id"]: t["truth"] for t in tasks}
    kept_set = set(kept)
    estimated = estimated_reliability(judgements)
    flagged = sorted(name for name, value in estimated.items() if value < config.flag_below)
    rest = [j for j in judgements if j["annotator"] not in set(flagged)]
    agreeable = len({j["annotator"] for j in rest}) >= 2  # one annotator left has nobody to agree with
    rest_kept = set(filter_by_agreement(rest, "pairwise", threshold=config.threshold)) if agreeable else set()
    labels = {"unfiltered": votes, "filtered": {t: v for t, v in votes.items() if t in kept_set},
              "trusted": {t: v for t, v in majority_vote(rest).items() if t in rest_kept}}
    return {"kept": sorted(kept_set), "labels": labels,
            "label_accuracy": {arm: float(np.mean([v == truth[t] for t, v in arm_labels.items()]))
                               if arm_labels else 0.5 for arm, arm_labels in labels.items()},
            "estimated": estimated, "true": {a.name: a.p_correct for a in config.annotators}, "flagged": flagged}


def preference_records(tasks: list[dict], labels: dict[str, int]) -> list[dict]:
    """``{"prompt", "chosen", "rejected"}`` for every labelled task, the winner as the annotators voted."""
    by_id = {t["id"]: t for t in tasks}
    return [{"prompt": by_id[t]["prompt"], "chosen": by_id[t]["responses"][w],
             "rejected": by_id[t]["responses"][1 - w]} for t, w in labels.items()]


def train_reward_models(tasks: list[dict], study: dict, tokenizer, config: PanelConfig, *, init=None) -> dict:
    """One Bradley-Terry reward model per label set of ``study["labels"]``: same config, same seed."""
    run = replace(config.reward_model, seed=config.seed)
    return {arm: train_proxy(preference_records(tasks, labels), tokenizer, run, init=init)
            for arm, labels in study["labels"].items()}


def pairwise_accuracy(model, tokenizer, tasks: list[dict]) -> float:
    """Share of tasks whose right response the reward model scores higher (ties count half)."""
    prompts = [t["prompt"] for t in tasks for _ in range(2)]
    scores = np.asarray(proxy_scores(model, tokenizer, prompts, [r for t in tasks for r in t["responses"]]),
                        dtype=float).reshape(-1, 2)
    truth = np.array([t["truth"] for t in tasks])
    right, wrong = scores[np.arange(len(tasks)), truth], scores[np.arange(len(tasks)), 1 - truth]
    return float(np.mean((right > wrong) + 0.5 * (right == wrong)))


def evaluate(models: dict, tokenizer, held_out: list[dict]) -> dict[str, float]:
    """Pairwise accuracy of each reward model against the checker on the held-out tasks."""
    return {arm: pairwise_accuracy(model, tokenizer, held_out) for arm, model in models.items()}


def unreliable(config: PanelConfig) -> list[str]:
    """The annotators the truth calls unreliable (``p_correct < config.reliable_from``)."""
    return sorted(a.name for a in config.annotators if a.p_correct < config.reliable_from)


#: margins of the reward-model bounds, each below what held on seeds 0-2 (benchmarks/RESULTS.md)
RM_ABOVE_CHANCE = 0.05  # filtered and unfiltered RM, held-out pairwise accuracy over 0.5
UNFILTERED_AHEAD = 0.05  # the unfiltered RM over the filtered one


def failed_claims(result: dict, config: PanelConfig, held_out: dict[str, float] | None = None) -> list[str]:
    """The bounds notebook 09 asserts on the world, each named when it fails ([] = all hold).

    result: :func:`agreement_study`'s dict. held_out: :func:`evaluate`'s dict
    (arm -> held-out pairwise accuracy); None checks the labels only. A filter
    that keeps random tasks, labels shuffled across tasks, a panel of random
    annotators and reward models at chance each fail some
    (tests/world/test_annotators.py). With the reader (``ProxyConfig(reader=True)``)
    both reward models beat chance, and the one on *all* tasks' majority labels
    beats the one on the kept tasks: the filter's cleaner labels do not pay for
    the five in six tasks it drops. Not asserted: the ``"trusted"`` arm (measured
    on too few seeds).
    """
    failed = []
    accuracy = result["label_accuracy"]
    if not accuracy["filtered"] >= accuracy["unfiltered"] + 0.08:
        failed.append("the kept tasks' majority labels are right more often than all tasks' (by 0.08)")
    if result["flagged"] != unreliable(config):
        failed.append("the filter flags exactly the unreliable annotators")
    estimated, true = result["estimated"], result["true"]
    if not all(abs(estimated.get(name, 0.5) - p) <= 0.12 for name, p in true.items()):
        failed.append("every annotator's estimated p_correct is within 0.12 of the truth")
    if held_out is not None:
        if not min(held_out["filtered"], held_out["unfiltered"]) >= 0.5 + RM_ABOVE_CHANCE:
            failed.append(f"both reward models beat chance on held-out tasks (by {RM_ABOVE_CHANCE})")
        if not held_out["unfiltered"] >= held_out["filtered"] + UNFILTERED_AHEAD:
            failed.append(f"the RM on all tasks beats the RM on the kept tasks (by {UNFILTERED_AHEAD})")
    return failed


__all__ = ["Annotator", "PanelConfig", "VISIBLE", "WRONG_KINDS", "default_panel", "wrong_kind", "tasks_from", "pair_tasks", "annotate",
           "majority_vote", "estimated_reliability", "agreement_study", "preference_records", "train_reward_models",
           "pairwise_accuracy", "evaluate", "unreliable", "failed_claims", "RM_ABOVE_CHANCE", "UNFILTERED_AHEAD"]
