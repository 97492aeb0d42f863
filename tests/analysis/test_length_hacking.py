"""The text set-up of notebook 10: its bounds hold for the real study and fail for broken variants."""
import dataclasses

import numpy as np
import pytest
import torch

from workbench.analysis.best_of_n import best_of_n
from workbench.analysis.length_hacking import (LengthHackingConfig, LengthHackingStudy, length_hacking_failed_claims,
                                              length_hacking_study, train_length_proxy)
from workbench.models.frozen import FeatureRewardModel

SMALL = LengthHackingConfig(prompts=30, samples=16, reference=120, seed=1)


def _study(gold_by_name: dict, lengths_by_name: dict) -> LengthHackingStudy:
    curves = {name: best_of_n(np.asarray(g, float)[None, :], np.asarray(g, float)[None, :])
              for name, g in gold_by_name.items()}
    return LengthHackingStudy(curves, {k: np.asarray(v, float) for k, v in lengths_by_name.items()}, 0.0, SMALL)


def test_bounds_read_the_curves():
    # hand-made curves: each bound is checked on the numbers it names
    study = _study({"proxy": [0, 1], "calibrated": [0, 2]}, {"proxy": [200.0, 260.0], "calibrated": [200.0, 200.0]})
    study.curves["proxy"].gold[:] = [2.0, 2.6]
    study.curves["calibrated"].gold[:] = [2.0, 2.7]
    assert length_hacking_failed_claims(study) == []
    study.lengths["calibrated"][-1] = 230.0        # a calibration that still buys length
    assert any("calibrated pick" in c for c in length_hacking_failed_claims(study))
    study.lengths["calibrated"][-1] = 200.0
    study.curves["calibrated"].gold[:] = [2.0, 2.6]   # a calibration that keeps nothing more
    assert any("keeps only" in c for c in length_hacking_failed_claims(study))


@pytest.mark.slow
def test_study_holds_and_broken_proxies_fail():
    study = length_hacking_study(SMALL)
    assert length_hacking_failed_claims(study) == [], study.rows()[:4]
    assert study.proxy_length_corr > 0.2                # the proxy learnt the annotator's taste for length
    torch.manual_seed(0)
    broken = length_hacking_study(SMALL, proxy=FeatureRewardModel(384))   # an untrained head: no quality signal
    failed = length_hacking_failed_claims(broken)
    assert any("gold rises only" in c for c in failed), failed
    shuffled = length_hacking_study(SMALL, proxy=train_length_proxy(SMALL, shuffle_labels=True))
    failed = length_hacking_failed_claims(shuffled)
    assert any("gold rises only" in c for c in failed) and any("characters longer (<" in c for c in failed), failed
