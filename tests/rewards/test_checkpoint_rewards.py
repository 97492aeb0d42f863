"""Rewards from checkpoints: a reward model and a PRM as TRL reward functions.

Tiny checkpoints are built here (a word-level BERT encoder, the world's Llama
decoders), never downloaded. Each reward is checked against scoring one
completion at a time, against `workbench score` with corrections planted beside
the checkpoint, on chat-message completions, and in one real GRPOTrainer step.
"""
import json

import numpy as np
import pytest

PROMPTS = ["what is 2 + 2 ?", "what is 2 + 2 ?", "is it good ?", "is it good ?", "how are you ?"]
COMPLETIONS = [" 4", " it is 4 , the answer is 4", " yes good", " no it is bad and rude and wrong", " fine thanks"]


@pytest.fixture(scope="module")
def encoder_rm(tmp_path_factory):
    """A tiny BERT reward model over the word tokenizer, saved by save_reward_model."""
    from workbench.models import save_reward_model
    from workbench.models.tiny import tiny_reward_model

    model, tokenizer = tiny_reward_model("bert", seed=0)
    return save_reward_model(model, tokenizer, tmp_path_factory.mktemp("rm") / "bert_rm")


@pytest.fixture(scope="module")
def world_checkpoints(tmp_path_factory):
    """The world's tiny decoders saved with save_pretrained: two outcome scorers (seeds 0, 1) and a PRM."""
    from workbench.prm.model import separator_ids
    from workbench.world import tiny_outcome_scorer, tiny_step_scorer, world_tokenizer

    tokenizer = world_tokenizer()
    root = tmp_path_factory.mktemp("world")
    sizes = dict(hidden=32, layers=1, heads=4)
    folders = {}
    for name, model in (("rm_seed0", tiny_outcome_scorer(tokenizer, seed=0, **sizes)),
                        ("rm_seed1", tiny_outcome_scorer(tokenizer, seed=1, **sizes)),
                        ("prm", tiny_step_scorer(tokenizer, seed=2, **sizes))):
        if name == "prm":
            model.config.prm_separator_ids = separator_ids(tokenizer)
        model.save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
        folders[name] = root / name
    return folders


def world_batch(n: int = 6):
    """World prompts (question + newline) and solution-shaped completions of different lengths."""
    from workbench.world import make_problems, prompt_text

    problems = make_problems(3, seed=0)
    prompts = [prompt_text(p) for p in problems for _ in range(2)][:n]
    completions = [" Tom has 3 apples .\n#### 3", " Tom has 3 + 4 = 7 apples .\nThen 7 - 2 = 5 .\n#### 5",
                   "#### 2", " Ann has 5 apples .", "", " So 2 + 2 = 4 .\n So 4 + 1 = 5 .\n So 5 + 1 = 6 .\n#### 6"]
    return prompts, completions[:n]


@pytest.mark.parametrize("which", ["encoder", "decoder"])
def test_batched_scores_equal_one_completion_at_a_time(which, encoder_rm, world_checkpoints):
    """Length-sorted padded batches give each completion the score it gets alone (to float noise)."""
    from workbench.rewards import reward_model_reward

    path = encoder_rm if which == "encoder" else world_checkpoints["rm_seed0"]
    prompts, completions = (PROMPTS, COMPLETIONS) if which == "encoder" else world_batch()
    reward = reward_model_reward(path, batch_size=2, device="cpu")
    batched = reward(prompts=prompts, completions=completions, completion_ids=[[0]] * len(prompts))
    alone = [reward(prompts=[p], completions=[c])[0] for p, c in zip(prompts, completions)]
    assert all(isinstance(v, float) for v in batched) and len(batched) == len(prompts)
    np.testing.assert_allclose(batched, alone, atol=1e-5, rtol=1e-5)
    assert len(set(np.round(batched, 6))) > 1  # the scores depend on the text (a constant would pass above)
    assert reward.__name__ == f"rm_{path.name}"


def test_corrections_applied_as_workbench_score_applies_them(encoder_rm, tmp_path):
    """A planted length calibration and centering change the reward exactly as `workbench score`'s
    rows; raw=True gives `workbench score --raw`'s.

    By hand: calibration r - (0.5 L - 0) (L in characters, intercept 0, offset 0), then centering
    (r - 1) / 2, so corrected = (raw - 0.5 L - 1) / 2.
    """
    import shutil

    from workbench.cli import main
    from workbench.data.jsonl import read_jsonl
    from workbench.models.posthoc import LengthCalibration, RewardCentering
    from workbench.rewards import reward_model_reward

    folder = shutil.copytree(encoder_rm, tmp_path / "rm")
    LengthCalibration("linear", log_length=False, unit="chars", slope=0.5).save(folder)
    RewardCentering("global", mean=1.0, scale=2.0).save(folder)
    data = tmp_path / "lists.jsonl"
    data.write_text("".join(json.dumps({"prompt": PROMPTS[i], "responses": COMPLETIONS[i:i + 2], "labels": [1, 0]})
                            + "\n" for i in (0, 2)))
    for flag, raw in (([], False), (["--raw"], True)):
        assert main(["score", "--model", str(folder), "--data", str(data), *flag,
                     "--output", str(tmp_path / "s.jsonl")]) == 0
        expected = [s for row in read_jsonl(tmp_path / "s.jsonl") for s in row["scores"]]
        reward = reward_model_reward(folder, raw=raw, device="cpu")
        got = reward(prompts=PROMPTS[:4], completions=COMPLETIONS[:4])
        np.testing.assert_allclose(got, expected, atol=1e-5)
        if raw:
            raw_scores = np.array(got)
    corrected = reward_model_reward(folder, device="cpu")(prompts=PROMPTS[:4], completions=COMPLETIONS[:4])
    lengths = np.array([len(c) for c in COMPLETIONS[:4]])
    np.testing.assert_allclose(corrected, (raw_scores - 0.5 * lengths - 1.0) / 2.0, atol=1e-5)


def test_chat_message_completions_score_as_workbench_scores_chat_records(encoder_rm):
    """TRL's conversational batches (prompt and completion message lists) go through the chat template."""
    from workbench.data import RankedList
    from workbench.models import load_reward_model
    from workbench.rewards import reward_model_reward
    from workbench.training import score_records

    prompts = [[{"role": "user", "content": p}] for p in PROMPTS]
    completions = [[{"role": "assistant", "content": c.strip()}] for c in COMPLETIONS]
    got = reward_model_reward(encoder_rm, device="cpu")(prompts=prompts, completions=completions)
    model, tokenizer = load_reward_model(str(encoder_rm))
    rows = score_records(model, tokenizer, [RankedList(prompts[0], completions[:2], [1, 0]),
                                            RankedList(prompts[2], completions[2:4], [1, 0])])
    np.testing.assert_allclose(got[:4], [s for row in rows for s in row["scores"]], atol=1e-5)
    plain = reward_model_reward(encoder_rm, device="cpu")(prompts=PROMPTS, completions=COMPLETIONS)
    assert not np.allclose(got, plain)  # the template's "user:"/"assistant:" lines are scored too


def test_reward_model_reward_mistakes(encoder_rm, world_checkpoints, tmp_path):
    from workbench.errors import UserError
    from workbench.rewards import reward_model_reward

    with pytest.raises(UserError, match="no checkpoint at"):
        reward_model_reward(tmp_path / "missing")
    with pytest.raises(UserError, match="position limit of 256"):
        reward_model_reward(world_checkpoints["rm_seed0"], max_length=1024)
    reward = reward_model_reward(encoder_rm, device="cpu", name="judge")
    assert reward.__name__ == "judge"
    with pytest.raises(ValueError, match="prompts: has 1 entries but there are 2"):
        reward(prompts=["q"], completions=["a", "b"])


def test_prm_reward_aggregates_and_shapes_the_step_scores(world_checkpoints):
    """Against the PRM's own step scores: min / product / last / mean, and the shaped return, which
    telescopes to gamma^S p_S - Phi(s_0) (and to -Phi(s_0) with a zero terminal potential)."""
    from workbench.prm import prm_reward
    from workbench.prm.model import prm_step_scores
    from workbench.prm.records import StepRecord
    from workbench.prm.reward import completion_steps

    path = world_checkpoints["prm"]
    prompts, completions = world_batch()
    base = prm_reward(path, device="cpu")
    records = [StepRecord(p.strip(), completion_steps(c), [None] * len(completion_steps(c)))
               for p, c in zip(prompts, completions)]
    steps = prm_step_scores(base.model, base.tokenizer, records)
    assert [len(s) for s in steps] == [2, 3, 1, 1, 0, 4]  # the answer line is a step; "" has none
    expected = {"min": [min(s) for s in steps if s], "product": [float(np.prod(s)) for s in steps if s],
                "last": [s[-1] for s in steps if s], "mean": [float(np.mean(s)) for s in steps if s]}
    for method, values in expected.items():
        got = prm_reward(path, aggregate=method, device="cpu", empty=-1.0)(prompts=prompts, completions=completions)
        assert got[4] == -1.0
        np.testing.assert_allclose([g for g, s in zip(got, steps) if s], values, atol=1e-6)
    shaped = prm_reward(path, shaping=True, gamma=0.5, initial_potential=0.25, device="cpu")(
        prompts=prompts, completions=completions)
    np.testing.assert_allclose([v for v, s in zip(shaped, steps) if s],
                               [0.5 ** len(s) * s[-1] - 0.25 for s in steps if s], atol=1e-6)
    invariant = prm_reward(path, shaping=True, terminal_zero=True, initial_potential=0.25, device="cpu")
    np.testing.assert_allclose([v for v, s in zip(invariant(prompts=prompts, completions=completions), steps) if s],
                               -0.25, atol=1e-9)
    chat = [[{"role": "assistant", "content": c}] for c in completions]
    np.testing.assert_allclose(base(prompts=prompts, completions=chat), base(prompts=prompts, completions=completions))
    alone = [base(prompts=[p], completions=[c])[0] for p, c in zip(prompts, completions)]
    np.testing.assert_allclose(base(prompts=prompts, completions=completions), alone, atol=1e-5)
    assert base.__name__ == "prm_min_prm" and invariant.__name__ == "prm_shaped_prm"
    with pytest.raises(ValueError, match="aggregate: expected one of"):
        prm_reward(path, aggregate="max")


@pytest.mark.slow  # a real TRL GRPOTrainer step (~10 s on one core)
def test_one_grpo_step_with_checkpoint_rewards_and_an_ensemble(world_checkpoints, tmp_path):
    """The world's tiny policy, one GRPOTrainer step on CPU with our three rewards unchanged."""
    import torch
    from datasets import Dataset

    pytest.importorskip("trl")
    from trl import GRPOConfig, GRPOTrainer

    from workbench.prm import prm_reward
    from workbench.rewards import RewardEnsemble, reward_model_reward
    from workbench.world import make_problems, prompt_text, tiny_causal_lm, world_tokenizer

    tokenizer = world_tokenizer()
    tokenizer.padding_side = "left"
    policy = tiny_causal_lm(tokenizer, hidden=32, layers=1, heads=4, seed=0)
    before = [p.detach().clone() for p in policy.parameters()]
    rm = reward_model_reward(world_checkpoints["rm_seed0"])
    ensemble = RewardEnsemble([rm, reward_model_reward(world_checkpoints["rm_seed1"])], aggregate="uncertainty",
                              lam=0.5)
    prm = prm_reward(world_checkpoints["prm"])
    data = Dataset.from_dict({"prompt": [prompt_text(p) for p in make_problems(2, seed=0)]})
    config = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4,
                        max_completion_length=16, max_steps=1, learning_rate=1e-2, logging_steps=1,
                        report_to=[], save_strategy="no", use_cpu=True, bf16=False, seed=0)
    trainer = GRPOTrainer(model=policy, reward_funcs=[rm, prm, ensemble], args=config, train_dataset=data,
                          processing_class=tokenizer)
    trainer.train()
    logged = {k: v for entry in trainer.state.log_history for k, v in entry.items()}
    for name in ("rm_rm_seed0", "prm_min_prm", "ensemble_uncertainty_2"):
        assert np.isfinite(logged[f"rewards/{name}/mean"]), sorted(logged)
    assert 0.0 <= logged["rewards/prm_min_prm/mean"] <= 1.0
    assert logged["ensemble_uncertainty_2/disagreement"] >= 0.0  # logged through TRL's log_metric
    assert next(rm.model.parameters()).device.type == "cpu"  # the trainer's device (use_cpu=True)
    assert trainer.state.global_step == 1
    assert any(not torch.equal(a, p) for a, p in zip(before, policy.parameters())) or logged.get("loss") == 0.0


@pytest.mark.slow  # loads the MiniLM and scores 16 completions three ways (~6 s)
def test_reward_throughput_benchmark_runs_quick_and_checks_the_rewards_agree():
    """benchmarks/reward_throughput.py's code path at 16 completions (its timings: benchmarks/RESULTS.md)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "reward_throughput.py"
    spec = importlib.util.spec_from_file_location("reward_throughput", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (result,) = module.main(["--quick", "--device", "cpu"])["results"]
    assert result["completions"] == 16 and result["max_score_gap"] <= 1e-4 and result["compared"] > 0
    assert min(result["loop_seconds"], result["single_seconds"], result["batched_seconds"]) > 0
