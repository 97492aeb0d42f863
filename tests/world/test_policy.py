"""The world's policy: deterministic per seed, in the accuracy band, and usable by every rollout path."""
import pytest
import torch

from workbench.prm.policy import TransformersPolicy
from workbench.world.checker import label_solution, parse_step
from workbench.world.policy import (
    PolicyConfig,
    cached_policy,
    greedy_accuracy,
    kind_counts,
    policy_cache_dir,
    prompt_text,
    sample_solutions,
    train_policy,
)

TINY = dict(max_steps=4, batch_size=4, hidden=16, layers=1, heads=2, progress=False)


def _weights(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_training_is_deterministic_per_seed():
    a, _, result = train_policy(PolicyConfig(**TINY, seed=3))
    b, _, _ = train_policy(PolicyConfig(**TINY, seed=3))
    c, _, _ = train_policy(PolicyConfig(**TINY, seed=4))
    assert result.steps == 4
    assert torch.equal(_weights(a), _weights(b)) and not torch.equal(_weights(a), _weights(c))


def test_cache_key_follows_every_field_but_progress():
    assert policy_cache_dir(PolicyConfig(progress=True)) == policy_cache_dir(PolicyConfig(progress=False))
    assert policy_cache_dir(PolicyConfig(seed=1)) != policy_cache_dir(PolicyConfig(seed=2))


def test_an_untrained_policy_still_goes_through_generate_and_rollouts():
    config = PolicyConfig(**TINY)
    model, tokenizer, _ = train_policy(config)
    problems = config.problems(3, seed=5)
    samples = sample_solutions(model, tokenizer, problems, 2, temperature=1.0, seed=0)
    assert [len(row) for row in samples] == [2, 2, 2] and all(isinstance(t, str) for row in samples for t in row)
    assert samples == sample_solutions(model, tokenizer, problems, 2, temperature=1.0, seed=0)  # seeded
    policy = TransformersPolicy(model, tokenizer, max_new_tokens=8)
    assert len(policy.rollout(problems[0].question, [], 3)) == 3 and policy.rollouts == 3


@pytest.mark.slow
def test_the_default_policy_lands_in_the_band_and_makes_every_kind_of_solution(tmp_path, monkeypatch):
    """About a minute: the default policy's greedy accuracy is 30-70% on held-out problems, and its samples
    hold right, wrong and right-answer-after-a-wrong-step solutions; a second call reads the cache."""
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    config = PolicyConfig(progress=False)
    model, tokenizer = cached_policy(config)
    held_out = config.problems(200, seed=10_000)
    accuracy = greedy_accuracy(model, tokenizer, held_out)
    assert 0.3 <= accuracy <= 0.7, accuracy
    counts = kind_counts(held_out[:60], sample_solutions(model, tokenizer, held_out[:60], 4, seed=1))
    assert all(counts[kind] > 0 for kind in ("right", "wrong", "right_after_wrong")), counts

    again, _ = cached_policy(config)  # from disk now: the same weights
    assert torch.equal(_weights(model), _weights(again))

    problem = held_out[0]  # rollouts from a gold prefix continue in the world's step shape
    policy = TransformersPolicy(model, tokenizer, max_new_tokens=120, temperature=1.0)
    steps = policy.next_steps(problem.question, [problem.steps[0]], 8)
    assert sum(parse_step(step) is not None for step in steps) >= 6, steps
    completions = policy.rollout(problem.question, list(problem.steps[:1]), 4)
    records = [label_solution(problem, [problem.steps[0], *c.strip().split("\n")]) for c in completions]
    assert all(r.labels[0] == 1.0 for r in records)
    ids = tokenizer(prompt_text(problem), return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=20, do_sample=False)  # plain transformers generate
    assert parse_step(tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).split("\n")[0])
