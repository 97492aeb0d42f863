"""Process supervision: step-labelled records, PRM/ORM training, automatic step
labelling (Monte-Carlo rollouts, first-error search, LLM judge, formal
verification, consensus), and using step scores (aggregation, best-of-N,
step-level beam search, potential-based shaping).

    from workbench.prm import verify_arithmetic, make_problems, SimulatedPolicy, FirstErrorSearch
    verify_arithmetic("She has 16 - 3 - 4 = <<16-3-4=9>>9 eggs.")      # True
    problems = make_problems(50, seed=0)
    policy = SimulatedPolicy(problems, error_rate=0.1, recover_rate=0.1)
    record = policy.sample(problems[0].question)                       # labelled with the truth
    FirstErrorSearch(policy, n=8).annotate(record).first_error         # vs record.first_error

Modules: ``records`` (StepRecord, converters), ``verify`` (exact arithmetic), ``code_steps`` (code steps run in the sandbox),
``simulated`` (known-truth problems and policy), ``policy`` (transformers / HTTP
rollouts), ``labelers`` (automatic step labelling: rollouts, first-error search,
verifier, consensus), ``judge`` (LLM judge), ``metrics`` (first-error accuracy,
ProcessBench F1, threshold calibration, method agreement), ``model`` (PRM and ORM:
loading, encoding, scoring), ``objectives`` (their training objectives), ``train``,
``scoring`` (aggregation, best-of-N, beam search, shaping), ``gsm8k`` (the
ORM-vs-PRM comparison on real solutions). ``annotate`` is the old name of
``labelers`` + ``metrics``, kept for old imports (people's labels are ``workbench.annotate``).
"""
from workbench._lazy import lazy_exports

# Where each public name lives; imported on first use (PEP 562), so that `workbench --help`
# (which registers the prm-* commands from prm/cli.py) does not pay for torch.
_HOME = {
    **dict.fromkeys(("CodeStepVerifier", "code_blocks"), "code_steps"),
    **dict.fromkeys(("JudgeAnnotator", "OpenAIJudge", "SimulatedJudge", "TransformersJudge", "parse_verdict"), "judge"),
    **dict.fromkeys(("FirstErrorSearch", "MonteCarloAnnotator", "StepAnnotation", "VerifierAnnotator",
                     "annotate_all", "consensus", "consensus_all", "labels_from_first_error"), "labelers"),
    **dict.fromkeys(("agreement_matrix", "calibrate_threshold", "first_error_accuracy",
                     "first_error_from_scores", "processbench_f1"), "metrics"),
    **dict.fromkeys(("completion_steps", "prm_reward", "shaped_return"), "reward"),
    **dict.fromkeys(("StepRecord", "answers_equal", "from_gsm8k", "from_math_shepherd", "from_prm800k",
                     "from_trl", "split_steps", "to_trl", "validate_record"), "records"),
    **dict.fromkeys(("AGGREGATIONS", "aggregate", "best_of_n", "best_of_n_accuracy", "potential_shaping",
                     "step_beam_search"), "scoring"),
    **dict.fromkeys(("ArithmeticProblem", "SimulatedPolicy", "make_problems", "true_labels"), "simulated"),
    **dict.fromkeys(("corrupt_step", "evaluate", "verify_arithmetic"), "verify"),
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)

__all__ = [
    "StepRecord", "from_gsm8k", "from_prm800k", "from_math_shepherd", "to_trl", "from_trl", "split_steps",
    "validate_record", "answers_equal", "verify_arithmetic", "evaluate", "corrupt_step",
    "ArithmeticProblem", "make_problems", "SimulatedPolicy", "true_labels",
    "StepAnnotation", "MonteCarloAnnotator", "CodeStepVerifier", "code_blocks", "FirstErrorSearch", "VerifierAnnotator", "JudgeAnnotator",
    "OpenAIJudge", "TransformersJudge", "SimulatedJudge", "parse_verdict", "consensus", "consensus_all", "agreement_matrix", "annotate_all",
    "labels_from_first_error", "first_error_accuracy", "processbench_f1", "first_error_from_scores",
    "calibrate_threshold",
    "AGGREGATIONS", "aggregate", "best_of_n", "best_of_n_accuracy", "step_beam_search", "potential_shaping",
    "prm_reward", "shaped_return", "completion_steps",
]
