"""Notebook 09's world bounds (``failed_claims``) hold for the real panel and filter, and fail for broken ones."""
import random

import pytest

from workbench.world.annotators import (
    Annotator,
    PanelConfig,
    agreement_study,
    annotate,
    estimated_reliability,
    failed_claims,
    majority_vote,
    preference_records,
    tasks_from,
    unreliable,
    VISIBLE,
)


def _tasks(n: int = 600, seed: int = 0) -> list[dict]:
    """Pair tasks with a known right side; the texts do not matter to the annotators."""
    rng = random.Random(seed)
    return [{"id": f"t{i}", "prompt": f"q{i}\n", "responses": [f"a{i}", f"b{i}"], "truth": rng.randrange(2)}
            for i in range(n)]


def _study(tasks, judgements, config, **kwargs) -> dict:
    return agreement_study(tasks, judgements, config, **kwargs)


def test_majority_vote_and_records_follow_the_votes():
    """Three annotators on one task, two pick response 1: the majority is 1, and it becomes ``chosen``."""
    tasks = [{"id": "t0", "prompt": "q\n", "responses": ["a", "b"], "truth": 1}]
    judgements = annotate(tasks, [Annotator("x", 1.0), Annotator("y", 1.0), Annotator("z", 0.0)])
    assert majority_vote(judgements) == {"t0": 1}
    assert preference_records(tasks, {"t0": 1}) == [{"prompt": "q\n", "chosen": "b", "rejected": "a"}]


def test_estimated_reliability_recovers_the_panel_without_the_truth():
    config = PanelConfig()
    estimated = estimated_reliability(annotate(_tasks(), config.annotators, seed=1))
    for annotator in config.annotators:
        assert estimated[annotator.name] == pytest.approx(annotator.p_correct, abs=0.1), annotator


def test_the_real_panel_and_filter_pass():
    config = PanelConfig()
    tasks = _tasks()
    result = _study(tasks, annotate(tasks, config.annotators, seed=2), config)
    assert failed_claims(result, config) == []
    assert result["flagged"] == unreliable(config) == ["adversarial", "careless_1", "careless_2", "careless_3",
                                                      "random"]


def test_a_filter_that_keeps_random_tasks_fails_the_label_bound():
    config = PanelConfig()
    tasks = _tasks()
    judgements = annotate(tasks, config.annotators, seed=2)
    kept = agreement_study(tasks, judgements, config)["kept"]
    chance = random.Random(0).sample([t["id"] for t in tasks], len(kept))  # as many tasks, chosen blind
    failed = failed_claims(_study(tasks, judgements, config, keep=chance), config)
    assert any("kept tasks' majority labels" in f for f in failed), failed


def test_a_panel_of_random_annotators_fails_the_filter_bounds():
    config = PanelConfig()
    tasks = _tasks()
    panel = [Annotator(a.name, 0.5) for a in config.annotators]  # the same names, no signal
    failed = failed_claims(_study(tasks, annotate(tasks, panel, seed=3), config), config)
    assert any("flags exactly" in f for f in failed), failed
    assert any("within" in f for f in failed), failed


def test_labels_shuffled_across_tasks_fail_the_bounds():
    """Each annotator's labels dealt to other tasks: the same label counts, no link to the truth or to each other."""
    config = PanelConfig()
    tasks = _tasks()
    judgements = annotate(tasks, config.annotators, seed=2)
    rng = random.Random(4)
    shuffled = []
    for annotator in config.annotators:
        own = [j for j in judgements if j["annotator"] == annotator.name]
        winners = [j["label"] for j in own]
        rng.shuffle(winners)
        shuffled += [{**j, "label": label} for j, label in zip(own, winners)]
    failed = failed_claims(agreement_study(tasks, shuffled, config), config)
    assert len(failed) == 3, failed


def test_tasks_pair_a_right_sample_with_a_visibly_wrong_one():
    from workbench.prm.records import StepRecord

    def record(correct: bool, error: str | None, complete: bool = True) -> StepRecord:
        r = StepRecord("q", ["s1", "s2"], [1.0, 0.0 if error else 1.0], answer="9" if correct else "8",
                       reference="9")
        r.meta.update(errors=[None, error], complete=complete)
        return r

    rows = [[record(True, None), record(False, "copy"), record(False, "slip")],  # one visible, one slip
            [record(True, None), record(True, None)]]                           # nothing wrong: no task
    tasks = tasks_from(rows, 5, seed=0, prefix="t", kinds=VISIBLE)
    assert len(tasks) == 1 and tasks[0]["wrong_kind"] == "copy" and tasks[0]["problem"] == 0
    assert tasks[0]["responses"][tasks[0]["truth"]].endswith("#### 9")
    slip_only = [[record(True, None), record(False, "slip")]]
    assert tasks_from(slip_only, 5, seed=0, prefix="t", kinds=VISIBLE) == []
    # the default: a reward model that reads the policy's surprise sees a slip, so it makes a task
    assert [t["wrong_kind"] for t in tasks_from(slip_only, 5, seed=0, prefix="t")] == ["slip"]


def test_reward_models_at_chance_or_in_the_wrong_order_fail_the_reward_model_bounds():
    """Held-out accuracies: 0.52 is not 0.05 above chance; a filtered RM ahead contradicts the measured order."""
    config = PanelConfig()
    tasks = _tasks()
    study = _study(tasks, annotate(tasks, config.annotators, seed=2), config)
    assert failed_claims(study, config, {"unfiltered": 0.80, "filtered": 0.70}) == []
    at_chance = failed_claims(study, config, {"unfiltered": 0.52, "filtered": 0.50})
    assert any("beat chance" in f for f in at_chance), at_chance
    reversed_order = failed_claims(study, config, {"unfiltered": 0.70, "filtered": 0.80})
    assert reversed_order == ["the RM on all tasks beats the RM on the kept tasks (by 0.05)"], reversed_order
