"""Our rewards go into TRL's GRPOTrainer unchanged: one real training step on CPU."""
import pytest

pytestmark = pytest.mark.slow  # real TRL GRPOTrainer steps

pytest.importorskip("trl")


def test_one_grpo_step_with_our_rewards(tmp_path):
    """Tiny GPT-2 from a config (no download), the offline MiniLM tokenizer, three of our rewards."""
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel
    from trl import GRPOConfig, GRPOTrainer

    from workbench.paths import default_backbone
    from workbench.rewards import code_execution_reward, correctness_reward, format_reward

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    tokenizer.padding_side = "left"
    tokenizer.bos_token, tokenizer.eos_token = tokenizer.cls_token, tokenizer.sep_token  # BERT has neither
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=96, n_embd=32, n_layer=2, n_head=2,
                                       bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
                                       pad_token_id=tokenizer.pad_token_id))
    before = [p.detach().clone() for p in model.parameters()]
    data = Dataset.from_dict({
        "prompt": ["what is 2 + 2 ?", "write add ( a , b )"] * 2,
        "ground_truth": ["#### 4", "#### 0"] * 2,
        "test_cases": [["assert add(2, 2) == 4"]] * 4,
    })
    config = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4,
                        max_completion_length=12, max_steps=1, learning_rate=1e-2, logging_steps=1,
                        report_to=[], save_strategy="no", use_cpu=True, bf16=False, seed=0)
    trainer = GRPOTrainer(model=model, reward_funcs=[format_reward, correctness_reward, code_execution_reward],
                          args=config, train_dataset=data, processing_class=tokenizer)
    trainer.train()
    logged = {k: v for entry in trainer.state.log_history for k, v in entry.items()}
    for name in ("format_reward", "correctness_reward", "code_execution_reward"):
        assert f"rewards/{name}/mean" in logged, sorted(logged)
        assert 0.0 <= logged[f"rewards/{name}/mean"] <= 1.0
    assert trainer.state.global_step == 1
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert any(not torch.equal(a, p) for a, p in zip(before, model.parameters())) or logged.get("loss") == 0.0
