"""A known-truth reasoning world: arithmetic word problems, an exact checker, and tiny models that learn it.

    from workbench.world import PolicyConfig, train_policy, label_solution
    model, tokenizer, result = train_policy(PolicyConfig())      # a real policy, ~1 min on one CPU core
    problems = PolicyConfig().problems(100, seed=1)
    record = label_solution(problems[0], sample_solutions(model, tokenizer, problems[:1])[0][0])
    record.labels, record.is_correct, record.meta["kind"]        # exact, from the problem's truth

Modules: ``tasks`` (problems, parsing a question back), ``checker`` (exact step
labels and the outcome), ``tokenizer`` (an offline word/digit tokenizer),
``models`` (tiny Llama/GPT-2 policies and scorers from one config), ``traces``
(solutions with mistakes at set rates), ``policy`` (the policy trained on
them, sampling), ``verifiers`` (ORM and PRM from scratch, best-of-N),
``experiments`` (the comparisons notebook 03 shows and its tests check), ``grpo`` (TRL's
GRPOTrainer on the policy, watched step by step against the checker).
"""
from workbench.world.checker import KINDS, answer_correct, label_solution, solution_kind
from workbench.world.grpo import (
    GRPORun,
    GRPORunConfig,
    StepLog,
    gold_correctness,
    gold_partial_credit,
    heldout_accuracy,
    make_random_reward,
    run_grpo,
    world_dataset,
)
from workbench.world.models import parameter_count, tiny_causal_lm, tiny_outcome_scorer, tiny_step_scorer, world_config
from workbench.world.policy import (
    PolicyConfig,
    cached_policy,
    greedy_accuracy,
    kind_counts,
    load_policy,
    prompt_text,
    sample_solutions,
    train_policy,
)
from workbench.world.tasks import WorldProblem, make_problems, parse_question
from workbench.world.tokenizer import world_tokenizer
from workbench.world.traces import TraceConfig, make_traces

__all__ = [
    "WorldProblem", "make_problems", "parse_question", "KINDS", "label_solution", "solution_kind", "answer_correct",
    "world_tokenizer", "world_config", "tiny_causal_lm", "tiny_step_scorer", "tiny_outcome_scorer",
    "parameter_count", "TraceConfig", "make_traces", "PolicyConfig", "train_policy", "cached_policy",
    "load_policy", "greedy_accuracy", "sample_solutions", "kind_counts", "prompt_text",
    "world_dataset", "gold_correctness", "gold_partial_credit", "make_random_reward", "GRPORunConfig", "GRPORun",
    "StepLog", "heldout_accuracy", "run_grpo",
]
