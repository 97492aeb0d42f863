"""ODIN: the loss by hand, disentangling on data with a known length bias, and the
checkpoint that plain transformers loads as a quality-only reward model."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertConfig

from workbench.data.length_bias import make_length_bias_pairs
from workbench.models.frozen import FeaturePairs, FeatureRewardModel, collate_feature_pairs, feature_pairwise_objective
from workbench.models.odin import (
    LENGTH_HEAD_FILE,
    batch_pearson,
    head_of,
    load_odin_model,
    odin_loss,
    odin_objective,
    save_odin_model,
)
from workbench.paths import default_backbone
from workbench.training import TrainConfig, train


def test_batch_pearson_matches_numpy_and_is_safe():
    x, y = torch.tensor([1.0, 2.0, 4.0, 3.0]), torch.tensor([2.0, 1.0, 5.0, 7.0])
    assert batch_pearson(x, y).item() == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-6)
    x.requires_grad_(True)
    constant = batch_pearson(x, torch.ones(4))
    constant.backward()
    assert constant.item() == 0.0 and torch.isfinite(x.grad).all()
    with pytest.raises(ValueError, match="1-D"):
        batch_pearson(torch.ones(3), torch.ones(4))


def test_odin_loss_by_hand():
    """B = 2, length head silent (r_L = 0): rank = mean(softplus(-2), softplus(-1));
    ρ(r_Q, L) from numpy; ρ(r_L, L) = 0 for a constant head; |w_Q·w_L| = |1·0.5 + 0·2| = 0.5.
    loss = rank + 2·|ρ_Q| + 3·0.5."""
    quality = torch.tensor([2.0, 1.0, 0.0, 0.0])
    lengths = torch.tensor([1.0, 2.0, 3.0, 4.0])
    loss, parts = odin_loss(quality, torch.zeros(4), lengths, torch.tensor([1.0, 0.0]), torch.tensor([0.5, 2.0]),
                            length_penalty=2.0, orthogonality=3.0)
    rank = (F.softplus(torch.tensor(-2.0)) + F.softplus(torch.tensor(-1.0))) / 2
    rho = np.corrcoef(quality, lengths)[0, 1]
    assert parts["rank"].item() == pytest.approx(rank.item(), abs=1e-6)
    assert parts["rho_quality"].item() == pytest.approx(rho, abs=1e-6)
    assert parts["rho_length"].item() == 0.0 and parts["orthogonality"].item() == pytest.approx(0.5)
    assert loss.item() == pytest.approx(rank.item() + 2 * abs(rho) + 1.5, abs=1e-5)
    with pytest.raises(ValueError, match="2B"):
        odin_loss(torch.zeros(3), torch.zeros(3), torch.zeros(3), torch.zeros(2), torch.zeros(2))


def _feature_pairs(n=600, seed=0):
    """Features: dim 0 = quality, dim 1 = standardised length, 14 noise dims. Labels:
    σ(Δquality + 1.5 Δlength), so a plain BT head learns a length weight."""
    rng = np.random.default_rng(seed)
    quality, length = rng.normal(size=(2, n)), rng.normal(size=(2, n))
    features = rng.normal(scale=0.3, size=(2, n, 16)).astype(np.float32)
    features[..., 0], features[..., 1] = quality, length
    a_wins = rng.random(n) < 1 / (1 + np.exp(-((quality[0] - quality[1]) + 1.5 * (length[0] - length[1])) / 0.3))
    order = np.where(a_wins, 0, 1)
    pick = lambda arr, which: arr[which, np.arange(n)]  # noqa: E731
    chosen, rejected = pick(features, order), pick(features, 1 - order)
    return FeaturePairs(chosen, rejected, pick(length, order), pick(length, 1 - order)), features, quality, length


def _train(dataset, n_outputs, compute_loss):
    torch.manual_seed(0)
    config = TrainConfig(batch_size=200, epochs=25, learning_rate=2e-2, warmup_ratio=0.0, save_model=False,
                         progress=False, max_grad_norm=None)
    model = FeatureRewardModel(dataset.chosen.shape[1], hidden=32, n_outputs=n_outputs, dropout=0.0)
    return train(config, dataset, model=model, compute_loss=compute_loss, collate_fn=collate_feature_pairs).model


def test_odin_quality_head_drops_the_length_bias_a_plain_head_absorbs():
    dataset, features, quality, length = _feature_pairs()
    plain = _train(dataset, 1, feature_pairwise_objective())
    odin = _train(dataset, 2, odin_objective(length_penalty=1.0, orthogonality=1.0))
    flat, q, L = features.reshape(-1, 16), quality.reshape(-1), length.reshape(-1)
    rho = lambda r, x: np.corrcoef(r, x)[0, 1]  # noqa: E731
    assert rho(plain.score(flat), L) > 0.5
    assert abs(rho(odin.score(flat, 0), L)) < 0.15
    assert rho(odin.score(flat, 0), q) > 0.9
    assert rho(odin.score(flat, 1), L) > 0.8  # the length head took the length


def test_head_of_rejects_single_output_models():
    with pytest.raises(ValueError, match="two-output"):
        head_of(FeatureRewardModel(4))


@pytest.fixture(scope="module")
def tiny_odin():
    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=2)
    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_config(config), tokenizer


def test_odin_trains_in_the_loop_and_saves_a_quality_only_checkpoint(tiny_odin, tmp_path):
    model, tokenizer = tiny_odin
    pairs = make_length_bias_pairs(32, seed=0)[["prompt", "chosen", "rejected"]]
    config = TrainConfig(batch_size=8, max_steps=3, max_length=96, save_model=False, progress=False,
                         learning_rate=1e-3)
    result = train(config, pairs, model=model, tokenizer=tokenizer, compute_loss=odin_objective())
    assert result.steps == 3 and all(np.isfinite(h["loss"]) for h in result.history if "loss" in h)
    path = save_odin_model(result.model, tokenizer, tmp_path / "odin")
    plain = AutoModelForSequenceClassification.from_pretrained(path).eval()
    assert plain.config.num_labels == 1 and (path / LENGTH_HEAD_FILE).is_file()
    texts = list(pairs["chosen"][:4])
    encoded = tokenizer([f"{p}" for p in pairs["prompt"][:4]], texts, padding=True, return_tensors="pt")
    trained = result.model.eval()
    with torch.no_grad():
        both = trained(**encoded).logits
        assert torch.allclose(plain(**encoded).logits[:, 0], both[:, 0], atol=1e-5)
        reloaded, _ = load_odin_model(path)
        assert torch.allclose(reloaded.eval()(**encoded).logits, both, atol=1e-5)


def test_load_odin_model_needs_the_length_head(tmp_path):
    with pytest.raises(ValueError, match=LENGTH_HEAD_FILE):
        load_odin_model(tmp_path)


def test_embed_texts_keeps_order_and_checks_input():
    from workbench.models.frozen import embed_texts

    prompts, responses = ["How?", "Why not?", "What?"], ["Short.", "A much longer answer with many words.", "Mid size."]
    together = embed_texts(prompts, responses, batch_size=2, progress=False)
    alone = np.concatenate([embed_texts([p], [r], progress=False) for p, r in zip(prompts, responses)])
    assert together.shape == (3, 384) and np.allclose(together, alone, atol=1e-4)
    with pytest.raises(ValueError, match=r"responses\[1\]"):
        embed_texts(None, ["ok", None], progress=False)
    with pytest.raises(ValueError, match="prompts"):
        embed_texts(["a"], ["b", "c"], progress=False)


def test_feature_pairs_validate_shapes():
    with pytest.raises(ValueError, match="equal"):
        FeaturePairs(np.zeros((3, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="3 entries"):
        FeaturePairs(np.zeros((3, 4)), np.zeros((3, 4)), [1, 2], [1, 2, 3])
    batch = collate_feature_pairs([FeaturePairs(np.ones((2, 4)), np.zeros((2, 4)), [5, 6], [7, 8])[i] for i in (0, 1)])
    assert batch["features"].shape == (4, 4) and batch["lengths"].tolist() == [5, 6, 7, 8]
    assert batch["features"][:2].eq(1).all() and batch["features"][2:].eq(0).all()
