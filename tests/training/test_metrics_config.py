"""Pure metrics against hand-worked cases and scipy; config loading; LoRA and gradient checkpointing."""
import pytest
import torch
from scipy.stats import kendalltau

from workbench.models.tiny import tiny_reward_model
from workbench.training import (
    LoraSettings,
    TrainConfig,
    from_dict,
    kendall_tau,
    listwise_metrics,
    load_config,
    ndcg,
    pairwise_metrics,
    train,
)


def test_pairwise_metrics_by_hand():
    """margins [2, -1, 0, 3]: right, wrong, tie (half), right -> 2.5/4; mean margin 1."""
    m = pairwise_metrics(torch.tensor([3.0, 0.0, 1.0, 3.0]), torch.tensor([1.0, 1.0, 1.0, 0.0]))
    assert m == {"accuracy": 0.625, "mean_margin": 1.0, "n_pairs": 4}
    assert pairwise_metrics(torch.zeros(0), torch.zeros(0))["n_pairs"] == 0
    with pytest.raises(ValueError):
        pairwise_metrics(torch.zeros(2), torch.zeros(3))


def test_kendall_tau_matches_scipy_with_ties_and_masks():
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(20, 6, generator=g)
    labels = torch.randint(0, 3, (20, 6), generator=g).float()
    mask = torch.ones(20, 6, dtype=torch.bool)
    mask[::3, 4:] = False
    tau, ok = kendall_tau(scores, labels, mask)
    for b in range(20):
        keep = mask[b]
        expected = kendalltau(scores[b, keep].numpy(), labels[b, keep].numpy()).statistic
        if ok[b]:
            assert tau[b].item() == pytest.approx(expected, abs=1e-6)
        else:
            assert expected != expected  # scipy gives NaN where tau-b is undefined; we flag it instead


def test_ndcg_by_hand_and_bounds():
    """labels [3, 2, 0] (gains 3, 2, 0), scores put item 1 first: DCG = 2 + 3/log2(3); ideal = 3 + 2/log2(3)."""
    value, ok = ndcg(torch.tensor([[1.0, 2.0, 0.0]]), torch.tensor([[3.0, 2.0, 0.0]]))
    log3 = torch.log2(torch.tensor(3.0))
    assert value.item() == pytest.approx(((2 + 3 / log3) / (3 + 2 / log3)).item(), rel=1e-6) and ok.item()
    perfect, _ = ndcg(torch.tensor([[3.0, 2.0, 1.0]]), torch.tensor([[5.0, 4.0, 1.0]]))
    assert perfect.item() == pytest.approx(1.0)
    tied, ok = ndcg(torch.tensor([[1.0, 2.0]]), torch.tensor([[4.0, 4.0]]))
    assert not ok.item() and tied.item() == 0.0


def test_listwise_metrics_perfect_reversed_and_masked():
    labels = torch.tensor([[4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 0.0, 0.0]])
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    perfect = listwise_metrics(labels.clone(), labels, mask)
    assert perfect["kendall_tau"] == pytest.approx(1.0) and perfect["pair_accuracy"] == 1.0
    assert perfect["top1_accuracy"] == 1.0 and perfect["ndcg"] == pytest.approx(1.0) and perfect["n_lists"] == 2
    reverse = listwise_metrics(-labels, labels, mask)
    assert reverse["kendall_tau"] == pytest.approx(-1.0) and reverse["pair_accuracy"] == 0.0
    assert all(v == v for v in reverse.values())  # never NaN


def test_config_from_dict_rejects_unknown_and_wrong_types(tmp_path):
    config = from_dict(TrainConfig, {"loss": "plackett_luce", "epochs": 2, "lora": {"r": 4}})
    assert config.epochs == 2 and config.lora == LoraSettings(r=4)
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['lr'\]"):
        from_dict(TrainConfig, {"lr": 1e-3})
    with pytest.raises(ValueError, match="'batch_size' must be"):
        from_dict(TrainConfig, {"batch_size": "16"})
    with pytest.raises(ValueError, match="config.lora"):
        from_dict(TrainConfig, {"lora": {"rank": 4}})
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        TrainConfig(batch_size=0)
    path = tmp_path / "c.yaml"
    path.write_text("loss: hinge\nmax_length: 128\n")
    assert load_config(path, max_length=64).max_length == 64 and load_config(path).loss == "hinge"


def test_lora_and_gradient_checkpointing_train(tmp_path):
    """LoRA adapters + trained head; the saved checkpoint is merged into plain weights."""
    from .test_train import word_pairs
    from transformers import AutoModelForSequenceClassification

    model, tok = tiny_reward_model("llama")
    config = TrainConfig(output_dir=str(tmp_path / "lora"), batch_size=8, max_length=32, epochs=1, progress=False,
                         learning_rate=1e-2, lora=LoraSettings(r=4, alpha=8, target_modules=["q_proj", "v_proj"]),
                         gradient_checkpointing=True)
    result = train(config, word_pairs(32), model=model, tokenizer=tok)
    assert torch.isfinite(torch.tensor(result.history[-1]["loss"]))
    plain = AutoModelForSequenceClassification.from_pretrained(tmp_path / "lora")
    assert not any("lora" in name for name in plain.state_dict())
