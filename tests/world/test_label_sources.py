"""Notebook 04's bounds on the world: the real study passes them; labels that lost their solution fail."""
import random

import pytest

from workbench.world.label_sources import label_sources_failed_claims, score_source


def table(mc, kept, search_rollouts=8.3, mc_rollouts=18.0, floor=0.3):
    return {"table": {"mc-hard": {"first_error_exact": mc, "rollouts": mc_rollouts},
                      "consensus (kept)": {"first_error_exact": kept},
                      "first-error search": {"rollouts": search_rollouts},
                      "constant": {"first_error_exact": floor}}}


def test_each_bound_reads_its_numbers():
    assert label_sources_failed_claims(table(0.66, 0.77)) == []
    assert any("constant guess" in c for c in label_sources_failed_claims(table(0.40, 0.77)))
    assert any("consensus" in c for c in label_sources_failed_claims(table(0.66, 0.68)))
    assert any("search costs" in c for c in label_sources_failed_claims(table(0.66, 0.77, search_rollouts=18.0)))


@pytest.mark.slow
def test_the_study_holds_and_shuffled_labels_fail():
    from workbench.world import cached_policy
    from workbench.world.label_sources import LabelSourcesConfig, label_sources_study

    policy, tokenizer = cached_policy()
    study = label_sources_study(policy, tokenizer, LabelSourcesConfig())
    assert label_sources_failed_claims(study) == [], study["table"]
    # the same labels, each given to another solution: the link to the solution is what carries the information
    records, shuffled = study["records"], list(study["annotations"]["mc-hard"])
    random.Random(0).shuffle(shuffled)
    broken = {**study["table"], "mc-hard": score_source(shuffled, records)}
    failed = label_sources_failed_claims({**study, "table": broken})
    assert any("constant guess" in c for c in failed), broken["mc-hard"]


def _fake_study():
    """Two solutions of one problem with a checker truth and three sources' annotations (hand-made)."""
    from workbench.prm.labelers import StepAnnotation
    from workbench.prm.records import StepRecord

    steps = ["He gets 5 more, so Tom has 7 + 5 = 12 apples.", "He loses 2, so Tom has 12 - 2 = 10 apples."]
    right = StepRecord("Tom has 7 apples. He gets 5 more. He loses 2.", steps, [1.0, 1.0], answer="10", reference="10")
    wrong = StepRecord(right.prompt, [steps[0], "He loses 2, so Tom has 12 - 2 = 11 apples."], [1.0, 0.0],
                       answer="11", reference="10")
    for record, outcome in ((right, 1.0), (wrong, 0.0)):
        record.meta["outcome"] = outcome
    mc = [StepAnnotation([1.0, 0.75], None, "mc-hard"), StepAnnotation([0.0, 0.0], 0, "mc-hard")]
    verifier = [StepAnnotation([1.0, 1.0], None, "verifier"), StepAnnotation([1.0, 0.0], 1, "verifier")]
    return {"records": [right, wrong], "annotations": {"mc-hard": mc, "verifier": verifier}, "kept": [0],
            "table": {"mc-hard": {"rollouts": 6.0}}}


def test_each_source_gives_its_own_step_labels_and_consensus_only_the_kept():
    from workbench.world.label_sources import source_records
    from workbench.world.verifiers import with_answer_step

    study = _fake_study()
    assert [r.labels for r in source_records(study, "checker")] == [[1.0, 1.0], [1.0, 0.0]]
    assert [r.labels for r in source_records(study, "mc-hard")] == [[1.0, 0.75], [0.0, 0.0]]
    kept = source_records(study, "consensus")
    assert len(kept) == 1 and kept[0].steps == study["records"][0].steps
    # the answer line is labelled by the outcome unless a step is labelled wrong: soft 0.75 counts as right
    assert with_answer_step(source_records(study, "mc-hard")[0]).labels[-1] == 1.0
    assert with_answer_step(source_records(study, "mc-hard")[1]).labels[-1] == 0.0


def test_source_prms_train_one_prm_a_source_and_score_it_downstream():
    from workbench.world.label_sources import source_prms
    from workbench.world.models import tiny_causal_lm
    from workbench.world.tokenizer import world_tokenizer
    from workbench.world.verifiers import VerifierConfig

    tokenizer = world_tokenizer()
    policy = tiny_causal_lm(tokenizer, hidden=32, layers=2, heads=2)
    study = _fake_study()
    test = [study["records"] * 2]  # one problem, four candidates
    out = source_prms(study, policy, tokenizer, test, VerifierConfig(max_steps=2, batch_size=2, hidden=32, heads=2),
                      sources=("checker", "consensus"), n=2)
    assert set(out) == {"checker", "consensus", "random", "majority", "oracle"}
    assert out["consensus"]["solutions"] == 1 and out["checker"]["solutions"] == 2
    assert 0.0 <= out["checker"]["best_of_n"] <= out["oracle"]["best_of_n"]
    assert 0.0 <= out["checker"]["first_error_f1"] <= 1.0 and out["checker"]["rollouts"] == 0.0


def test_the_source_prm_bounds_read_their_numbers():
    from workbench.world.label_sources import source_prms_failed_claims

    held = {"checker": {"best_of_n": 0.42, "first_error_f1": 0.48}, "mc-hard": {"best_of_n": 0.27, "first_error_f1": 0.36}}
    assert source_prms_failed_claims(held) == []
    level = {**held, "mc-hard": {"best_of_n": 0.40, "first_error_f1": 0.36}}  # MC labels as good as the truth
    assert any("best-of-n" in c for c in source_prms_failed_claims(level))
    swapped = {"checker": held["mc-hard"], "mc-hard": held["checker"]}  # labels that lost the truth
    assert len(source_prms_failed_claims(swapped)) == 2
