"""Reward models: pooling, padding invariance, pad == eos, plain-transformers round trip."""
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

from workbench.data import pad_sequences
from workbench.models import (
    PooledRewardModel,
    forward_scores,
    is_decoder_config,
    load_reward_model,
    native_pooling,
    pool_hidden,
    save_reward_model,
    score_texts,
)
from workbench.models.tiny import tiny_config, tiny_reward_model, word_tokenizer

TEXTS = ["the answer is good", "what is 2 and 3 </s>", "a", "how why yes no please thanks you i it"]


def test_pool_hidden_by_hand():
    """h = [[1],[2],[3]] with mask [1,1,0]: first 1, last 2, mean 1.5."""
    hidden = torch.tensor([[[1.0], [2.0], [3.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert pool_hidden(hidden, mask, "first").item() == 1.0
    assert pool_hidden(hidden, mask, "last").item() == 2.0
    assert pool_hidden(hidden, mask, "mean").item() == 1.5
    left = torch.tensor([[0, 1, 1]])
    assert pool_hidden(hidden, left, "last").item() == 3.0
    with pytest.raises(ValueError, match="pooling"):
        pool_hidden(hidden, mask, "max")


def test_native_pooling_from_config():
    assert native_pooling(tiny_config("gpt2")) == "last" and is_decoder_config(tiny_config("llama"))
    assert native_pooling(tiny_config("bert")) == "first" and not is_decoder_config(tiny_config("bert"))


def _ids(tokenizer, texts):
    return [tokenizer(t)["input_ids"] for t in texts]


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
@pytest.mark.parametrize("pooling", ["auto", "mean"])
def test_decoder_scores_do_not_depend_on_padding(arch, pooling):
    """Each text alone, in a right-padded batch and in a left-padded batch: the same reward."""
    model, tok = tiny_reward_model(arch, pooling=pooling)
    model.eval()
    seqs = _ids(tok, TEXTS)
    alone = torch.stack([forward_scores(model, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long))[0]
                         for s in seqs])
    with torch.no_grad():
        for side in ("right", "left"):
            ids, mask = pad_sequences(seqs, tok.pad_token_id, padding_side=side)
            torch.testing.assert_close(forward_scores(model, ids, mask), alone, atol=1e-5, rtol=1e-4)


def test_pad_equal_to_eos_gets_a_distinct_pad_and_keeps_trailing_eos():
    """With pad == eos the native head would skip a real trailing eos; we swap in a distinct pad."""
    tok = word_tokenizer(pad_equals_eos=True)
    assert tok.pad_token_id == tok.eos_token_id
    model, tok = tiny_reward_model("gpt2", tokenizer=tok)
    assert tok.pad_token_id != tok.eos_token_id and model.config.pad_token_id == tok.pad_token_id
    with torch.no_grad():
        with_eos, without = score_texts(model, tok, ["good answer </s>", "good answer"])
        padded = score_texts(model, tok, ["good answer </s>", "a b c d e f g"])[0]
    assert abs(with_eos - without) > 1e-6  # the eos token is pooled, not treated as padding
    assert abs(with_eos - padded) < 1e-5


def test_gpt2_without_pad_token_gets_one():
    tok = word_tokenizer()
    tok.pad_token = None
    tok.unk_token = None
    model, tok = tiny_reward_model("gpt2", tokenizer=tok)
    assert tok.pad_token == "<|pad|>" and model.get_input_embeddings().weight.shape[0] == len(tok)


def _pipeline_scores(path, texts, **kw):
    pipe = pipeline("text-classification", model=str(path), function_to_apply="none", **kw)
    return torch.tensor([out["score"] for out in pipe(texts)])


@pytest.mark.parametrize("arch", ["gpt2", "llama", "bert"])
def test_round_trip_through_plain_transformers(tmp_path, arch):
    """Saved native-pooling model: AutoModelForSequenceClassification and pipeline give our scores."""
    model, tok = tiny_reward_model(arch)
    ours = score_texts(model, tok, TEXTS)
    save_reward_model(model, tok, tmp_path)
    plain = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    plain_tok = AutoTokenizer.from_pretrained(tmp_path)
    with torch.no_grad():
        single = torch.stack([plain(**plain_tok(t, return_tensors="pt")).logits[0, 0] for t in TEXTS])
        batch = plain(**plain_tok(TEXTS, return_tensors="pt", padding=True)).logits[:, 0]
    torch.testing.assert_close(single, ours, atol=1e-5, rtol=1e-4)
    if arch != "gpt2":  # GPT-2 has absolute positions; plain transformers shifts left padding, not right
        torch.testing.assert_close(batch, ours, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(_pipeline_scores(tmp_path, TEXTS), ours, atol=1e-5, rtol=1e-4)


def test_round_trip_non_native_pooling_uses_saved_code(tmp_path):
    model, tok = tiny_reward_model("bert", pooling="mean")
    assert isinstance(model, PooledRewardModel)
    ours = score_texts(model, tok, TEXTS)
    save_reward_model(model, tok, tmp_path)
    assert (tmp_path / "modeling_workbench_reward.py").is_file()
    plain = _pipeline_scores(tmp_path, TEXTS, trust_remote_code=True)
    torch.testing.assert_close(plain, ours, atol=1e-5, rtol=1e-4)
    again, _ = load_reward_model(tmp_path)
    assert isinstance(again, PooledRewardModel) and again.pooling == "mean"
    torch.testing.assert_close(score_texts(again, tok, TEXTS), ours, atol=1e-5, rtol=1e-4)


def test_minilm_default_backbone_round_trip(tmp_path):
    """The real default backbone: [CLS] pooling through BERT's pooler; pipeline reproduces it."""
    model, tok = load_reward_model()
    assert native_pooling(model.config) == "first"
    texts = ["The capital of France is Paris.", "I refuse to answer that."]
    ours = score_texts(model, tok, texts)
    save_reward_model(model, tok, tmp_path)
    torch.testing.assert_close(_pipeline_scores(tmp_path, texts), ours, atol=1e-5, rtol=1e-4)


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="pooling"):
        tiny_reward_model("gpt2", pooling="max")
