"""The closed GRPO loop: the dataset, the gold rewards against the checker, the KL estimator, and real TRL runs."""
import math

import pytest
import torch

from workbench.world.checker import label_solution
from workbench.world.grpo import (
    MONITOR,
    GRPORunConfig,
    Monitor,
    completion_logprobs,
    gold_correctness,
    gold_partial_credit,
    kl_to_reference,
    make_random_reward,
    world_dataset,
)
from workbench.world.policy import PolicyConfig
from workbench.world.tasks import make_problems

QUESTION = "Tom has 7 apples. He gets 5 more. He doubles them. How many apples does Tom have?"
RIGHT = "He gets 5 more, so Tom has 7 + 5 = 12 apples.\nHe doubles them, so Tom has 12 * 2 = 24 apples.\n#### 24"
SLIP_THEN_RIGHT = ("He gets 5 more, so Tom has 7 + 5 = 13 apples.\n"
                   "He doubles them, so Tom has 12 * 2 = 24 apples.\n#### 24")
HELDOUT_BOUND, SAMPLED_BOUND = 0.03, 0.02  # the slow test's: RLVR clears both, a random reward does not
WRONG_END = "He gets 5 more, so Tom has 7 + 5 = 12 apples.\nHe doubles them, so Tom has 12 + 2 = 14 apples.\n#### 14"


def test_the_dataset_has_the_prompt_and_what_the_gold_rewards_need():
    problems = make_problems(5, steps=(3, 6), seed=1, max_value=29, max_operand=5)
    data = world_dataset(problems)
    assert data.column_names == ["prompt", "question", "answer"] and len(data) == 5
    assert data["prompt"][0] == problems[0].question + "\n" and data["answer"][0] == str(problems[0].answer)


def test_gold_correctness_is_the_checkers_outcome_on_known_solutions():
    texts = [RIGHT, SLIP_THEN_RIGHT, WRONG_END, "no answer line", ""]
    assert gold_correctness(texts, question=[QUESTION] * 5) == [1.0, 1.0, 0.0, 0.0, 0.0]
    problems = make_problems(20, steps=(3, 6), seed=3, max_value=29, max_operand=5)
    wrong = [p.solution.replace(f"#### {p.answer}", f"#### {p.answer + 1}") for p in problems]
    columns = {"question": [p.question for p in problems] * 2}
    assert gold_correctness([p.solution for p in problems] + wrong, **columns) == [1.0] * 20 + [0.0] * 20


def test_gold_rewards_take_chat_messages_and_fall_back_to_the_prompts():
    chat = [[{"role": "assistant", "content": RIGHT}], [{"role": "assistant", "content": WRONG_END}]]
    assert gold_correctness(chat, question=[QUESTION] * 2) == [1.0, 0.0]
    assert gold_correctness([RIGHT, WRONG_END], prompts=[QUESTION + "\n"] * 2) == [1.0, 0.0]
    assert gold_partial_credit(chat, prompts=[[{"role": "user", "content": QUESTION}]] * 2) == [1.0, 1 / 3]
    with pytest.raises(ValueError, match="question"):
        gold_correctness([RIGHT])


def test_partial_credit_counts_the_steps_before_the_first_error_and_the_answer():
    """S = 2 operations, so each of (step 1, step 2, answer) is worth 1/3:
    RIGHT 3/3; a slip in step 1 then the right answer: 0 + 0 + 1 -> 1/3 (the labels are monotone);
    a wrong operation in step 2: 1 + 0 + 0 -> 1/3; nothing: 0."""
    scores = gold_partial_credit([RIGHT, SLIP_THEN_RIGHT, WRONG_END, "#### 3"], question=[QUESTION] * 4)
    assert scores == pytest.approx([1.0, 1 / 3, 1 / 3, 0.0])
    problems = make_problems(10, steps=(3, 6), seed=4, max_value=29, max_operand=5)
    for problem in problems:  # against the checker's own labels on the first-step-dropped solution
        text = "\n".join(problem.solution.split("\n")[1:])
        record = label_solution(problem, text)
        expected = (sum(record.labels) + record.meta["outcome"]) / (len(problem.operations) + 1)
        assert gold_partial_credit([text], question=[problem.question]) == [expected]


def test_the_random_reward_is_seeded_and_ignores_the_completions():
    a, b = make_random_reward(3), make_random_reward(3)
    first = a([RIGHT] * 50)
    assert first == b(["x"] * 50) and set(first) == {0.0, 1.0}
    assert first != make_random_reward(4)([RIGHT] * 50)


def test_kl_is_zero_against_itself_and_worked_by_hand():
    """One completion of two tokens, r = log p_ref - log p = (log 0.5 - log 0.25, 0) = (log 2, 0):
    k3 per token = (2 - log 2 - 1, 0), mean 0.1534; sequence k1 = -(log 2 + 0) = -0.6931."""
    logps = torch.tensor([[math.log(0.25), math.log(0.5), 0.0]])
    reference = torch.tensor([[math.log(0.5), math.log(0.5), 5.0]])
    mask = torch.tensor([[True, True, False]])
    token, sequence = kl_to_reference(logps, reference, mask)
    assert token == pytest.approx((1 - math.log(2)) / 2) and sequence == pytest.approx(-math.log(2))
    assert kl_to_reference(logps, logps, mask) == (0.0, 0.0)


def test_completion_logprobs_batched_equal_one_at_a_time():
    from workbench.world.models import tiny_causal_lm
    from workbench.world.tokenizer import world_tokenizer

    tokenizer = world_tokenizer()
    model = tiny_causal_lm(tokenizer, hidden=16, layers=1, heads=2, seed=0).eval()
    prompts = tokenizer(["Tom has 7 apples.\n", "Sam has 3 pens. He gets 2 more.\n"])["input_ids"]
    completions = tokenizer(["#### 7", "He gets 2 more, so"])["input_ids"]
    pad = tokenizer.pad_token_id
    batched, mask = completion_logprobs(model, prompts, completions, pad_token_id=pad, temperature=0.7)
    assert mask.sum(-1).tolist() == [len(c) for c in completions]
    for i in range(2):
        alone, _ = completion_logprobs(model, prompts[i:i + 1], completions[i:i + 1], pad_token_id=pad,
                                       temperature=0.7)
        assert torch.allclose(batched[i, :len(completions[i])], alone[0], atol=1e-5)
        logits = model(torch.tensor([prompts[i] + completions[i]])).logits[0, len(prompts[i]) - 1:-1] / 0.7
        direct = logits.log_softmax(-1).gather(-1, torch.tensor(completions[i])[:, None]).squeeze(-1)
        assert torch.allclose(alone[0], direct, atol=1e-5)


class _Ensemble:
    """Duck-typed like workbench.rewards.ensemble.RewardEnsemble: a reward with an uncertainty method."""

    __name__ = "ensemble"

    def __call__(self, completions, **kwargs):
        return [0.0] * len(completions)

    def uncertainty(self, prompts, completions):
        return [0.5] * len(completions)


def test_the_monitor_returns_none_and_logs_gold_kl_and_disagreement():
    from workbench.world.models import tiny_causal_lm
    from workbench.world.tokenizer import world_tokenizer

    tokenizer = world_tokenizer()
    model = tiny_causal_lm(tokenizer, hidden=16, layers=1, heads=2, seed=0)
    monitor = Monitor(model, model, tokenizer, [_Ensemble()], gold_partial_credit, temperature=1.0)
    logged = {}
    ids = tokenizer([RIGHT, WRONG_END])["input_ids"]
    out = monitor([RIGHT, WRONG_END], prompts=[QUESTION + "\n"] * 2, completion_ids=ids,
                  question=[QUESTION] * 2, log_metric=logged.__setitem__)
    assert out == [None, None] and monitor.__name__ == MONITOR
    assert logged["gold/mean"] == pytest.approx(2 / 3) and logged["gold/accuracy"] == 0.5
    assert logged["kl/token"] == pytest.approx(0.0, abs=1e-6) and logged["disagreement"] == 0.5


def test_the_trl_config_gives_the_monitor_weight_zero_and_checks_weights(tmp_path):
    pytest.importorskip("trl")
    config = GRPORunConfig(reward_weights=[2.0, 1.0]).grpo_config(str(tmp_path), 2)
    assert config.reward_weights == [2.0, 1.0, 0.0] and config.per_device_train_batch_size == 32
    with pytest.raises(ValueError, match="reward_weights"):
        GRPORunConfig(reward_weights=[1.0]).grpo_config(str(tmp_path), 2)


@pytest.mark.slow
def test_a_short_run_logs_every_metric_and_leaves_the_policy_untouched():
    """A 1-layer untrained policy, 3 TRL steps with a KL penalty (TRL's own ``kl`` then logs too).

    The proxy is random so that advantages are not all zero (the untrained policy is never right)."""
    pytest.importorskip("trl")
    from workbench.world.grpo import run_grpo
    from workbench.world.policy import train_policy

    model, tokenizer, _ = train_policy(PolicyConfig(max_steps=2, batch_size=4, hidden=16, layers=1, heads=2,
                                                    progress=False))
    before = [p.detach().clone() for p in model.parameters()]
    problems = PolicyConfig().problems(12, seed=7)
    config = GRPORunConfig(steps=3, num_generations=4, batch_size=8, max_completion_length=24, beta=0.1,
                           learning_rate=1e-2, eval_every=2, progress=False)
    run = run_grpo(model, tokenizer, [make_random_reward(0), _Ensemble()], config, problems=problems,
                   eval_problems=problems[:4])
    assert [s.step for s in run.history] == [1, 2, 3]
    assert [s.heldout_accuracy is not None for s in run.history] == [False, True, True]
    for step in run.history:
        assert 0 <= step.accuracy <= 1 and step.gold == step.accuracy and step.disagreement == 0.5
        assert step.length > 0 and step.kl_token >= 0 and step.trl_kl is not None
        assert set(step.rewards) == {"random_reward", "ensemble"}
    assert run.history[0].kl_token == pytest.approx(0.0, abs=1e-6)  # the first samples come from the start
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
    assert any(not torch.equal(a, p) for a, p in zip(before, run.model.parameters()))


def _sampled_gain(run) -> float:
    """Checker accuracy of the sampled completions: mean of the last quarter of steps minus the first's."""
    accuracy = [step.accuracy for step in run.history]
    k = len(accuracy) // 4
    return sum(accuracy[-k:]) / k - sum(accuracy[:k]) / k


@pytest.mark.slow
def test_rlvr_raises_heldout_accuracy_and_a_random_reward_does_not():
    """~40 s with the policy cached (+1 min to train it once): 40 TRL steps of 4 prompts x 8, seed 0.

    Measured at this size on 5 seeds (benchmarks/RESULTS.md): the checker's reward raises greedy
    accuracy on 100 held-out problems by +0.04 to +0.17 and the sampled accuracy (last quarter of
    the steps minus the first) by +0.04 to +0.10; the random reward moves the held-out accuracy by
    -0.47 to +0.07 (one seed rises by chance) but its sampled accuracy falls on every seed (-0.04
    to -0.30). Both bounds together separate the arms on all 5 seeds; seed 0: +0.10 / +0.06
    against -0.04 / -0.12."""
    pytest.importorskip("trl")
    from workbench.world.grpo import run_grpo
    from workbench.world.policy import cached_policy

    model, tokenizer = cached_policy(PolicyConfig(progress=False))
    config = GRPORunConfig(steps=40, eval_problems=100, eval_every=40, progress=False)
    rlvr = run_grpo(model, tokenizer, [gold_correctness], config)
    broken = run_grpo(model, tokenizer, [make_random_reward(0)], config)
    assert rlvr.start_accuracy == broken.start_accuracy
    for run, expected in ((rlvr, True), (broken, False)):
        rise, gain = run.end_accuracy - run.start_accuracy, _sampled_gain(run)
        assert (rise >= HELDOUT_BOUND and gain >= SAMPLED_BOUND) == expected, (expected, rise, gain)
    assert rlvr.history[-1].kl_sequence is not None and len(rlvr.history) == 40
