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
