"""How far to trust a reward model: benchmark-format scores with intervals, null baselines,
calibration and a checkpoint doctor.

    from workbench.evaluation import load_eval_set, score_set, evaluate_scores, compare_scores
    eval_set = load_eval_set("data/eval/gsm8k_best_of_4.jsonl.gz")     # v1, v2, TRL pairs, ranked lists
    scores = score_set(model, tokenizer, eval_set).scores               # (K_n,) per example, chosen first
    report = evaluate_scores(eval_set, scores)        # per subset: score [low, high] + null baselines
    report.to_frame(); report.sections; report.overall
    compare_scores(eval_set, scores_a, scores_b)      # A - B per subset, interval, p, Holm-adjusted p
    calibration_report(*calibration_pairs(eval_set, scores))   # ECE (equal mass), Brier, log loss
    fit_temperature(chosen, rejected).save("runs/rm")           # temperature.json beside the checkpoint
    print(diagnose("runs/rm", texts_from(eval_set)))            # the doctor's table of checks

* :mod:`~workbench.evaluation.formats`: RewardBench v1 / v2 rows, TRL pairs, ranked lists -> :class:`EvalSet`.
* :mod:`~workbench.evaluation.rules`: the benchmarks' scoring rules (strict pair wins, best-of-n
  with shared ties, the Ties composite, example-weighted sections, mean overall).
* :mod:`~workbench.evaluation.uncertainty`: bootstrap intervals over prompts, paired differences
  with permutation p-values, Holm's correction.
* :mod:`~workbench.evaluation.baselines`: longest, shortest, random and first-position scorers.
* :mod:`~workbench.evaluation.scoring`: length-sorted batched scoring with no gradients.
* :mod:`~workbench.evaluation.calibration`: ECE / Brier / log loss, temperature scaling and its
  saved artefact.
* :mod:`~workbench.evaluation.doctor`: batch size, padding side, dtype, chat template, pad = EOS,
  head outputs, head loaded, the token the score is read from.
* :mod:`~workbench.evaluation.bundled`: the small sets in ``data/eval/`` and their builder.
* :mod:`~workbench.evaluation.cli`: ``workbench eval`` and ``workbench doctor``.
"""
from workbench._lazy import lazy_exports

# Where each public name lives; imported on first use (PEP 562), so that `workbench --help`
# (which registers `eval` and `doctor` from evaluation/cli.py) pays for neither torch nor scipy.
_HOME = {
    **dict.fromkeys(("BASELINES", "baseline_scores"), "baselines"),
    **dict.fromkeys(("BUNDLED_SETS", "build_bundled_sets", "bundled_path", "load_bundled"), "bundled"),
    **dict.fromkeys(("CalibrationReport", "RewardTemperature", "calibration_pairs", "calibration_report",
                     "expected_calibration_error", "fit_temperature", "load_temperature",
                     "pair_probabilities"), "calibration"),
    **dict.fromkeys(("DoctorReport", "Tolerances", "diagnose", "texts_from"), "doctor"),
    **dict.fromkeys(("EvalExample", "EvalSet", "load_eval_set"), "formats"),
    **dict.fromkeys(("EvalReport", "SubsetScore", "compare_scores", "evaluate_scores"), "report"),
    **dict.fromkeys(("best_of_n_outcome", "pair_outcomes", "section_scores"), "rules"),
    **dict.fromkeys(("ScoredSet", "flatten_responses", "regroup_scores", "score_set"), "scoring"),
    **dict.fromkeys(("Interval", "ScoreTally", "bootstrap_interval", "holm", "paired_difference"), "uncertainty"),
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)

__all__ = [
    "EvalExample", "EvalSet", "load_eval_set", "score_set", "ScoredSet", "flatten_responses", "regroup_scores",
    "evaluate_scores", "compare_scores",
    "EvalReport", "SubsetScore", "pair_outcomes", "best_of_n_outcome", "section_scores", "BASELINES",
    "baseline_scores", "Interval", "ScoreTally", "bootstrap_interval", "paired_difference", "holm",
    "CalibrationReport", "calibration_report", "calibration_pairs", "expected_calibration_error",
    "pair_probabilities", "fit_temperature", "RewardTemperature", "load_temperature", "diagnose",
    "DoctorReport", "Tolerances", "texts_from", "BUNDLED_SETS", "bundled_path", "load_bundled",
    "build_bundled_sets",
]
