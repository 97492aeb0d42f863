"""The proxy's opt-in reader: off by default (the plain proxy), on it scores each pair with the policy's surprise."""
import pytest
import torch

from workbench.world.models import tiny_causal_lm
from workbench.world.proxy import ProxyConfig, proxy_model, proxy_scores, save_proxy, train_proxy
from workbench.world.reader import ReadingScorer
from workbench.world.tokenizer import world_tokenizer

SIZES = dict(hidden=32, layers=2, heads=2)
RIGHT = "Tom has 7 + 5 = 12 apples.\n#### 12"
WRONG = "Tom has 7 + 5 = 13 apples.\n#### 13"


@pytest.fixture(scope="module")
def tokenizer():
    return world_tokenizer()


@pytest.fixture(scope="module")
def policy(tokenizer):
    return tiny_causal_lm(tokenizer, seed=0, **SIZES)


def test_the_default_proxy_is_the_plain_sequence_classifier(tokenizer, policy):
    model = proxy_model(tokenizer, ProxyConfig(**SIZES), init=policy)
    assert type(model).__name__ == "LlamaForSequenceClassification"
    assert ProxyConfig().reader is False


def test_a_reading_proxy_needs_the_policy(tokenizer):
    with pytest.raises(ValueError, match="init=<the policy>"):
        proxy_model(tokenizer, ProxyConfig(reader=True, **SIZES))


def test_a_reading_proxy_scores_the_last_real_token_of_the_policys_text(tokenizer, policy):
    """One score a sequence, the same alone as in a padded batch; the reader reads question + newline + steps."""
    model = proxy_model(tokenizer, ProxyConfig(reader=True, **SIZES), init=policy).eval()
    assert isinstance(model, ReadingScorer) and model.pool == "last" and model.reader is not policy  # a frozen copy
    assert all(torch.equal(a, b) for a, b in zip(model.reader.state_dict().values(), policy.state_dict().values()))
    prompts = ["Tom has 7 apples. He gets 5 more. How many apples does Tom have?\n"] * 2
    batch = proxy_scores(model, tokenizer, prompts, [RIGHT, WRONG + " and more words"])
    alone = proxy_scores(model, tokenizer, prompts[:1], [RIGHT])
    assert batch.shape == (2,) and batch[0] == pytest.approx(alone[0], abs=1e-5)
    text = tokenizer(prompts[0] + RIGHT, return_tensors="pt")["input_ids"]
    assert tokenizer.eos_token_id not in text[0].tolist()  # nothing between the question and the solution


def test_a_reading_proxy_trains_without_pair_packing_and_its_reader_stays_frozen(tokenizer, policy):
    before = {k: v.clone() for k, v in policy.state_dict().items()}
    prompt = "Tom has 7 apples. He gets 5 more. How many apples does Tom have?\n"
    pairs = [{"prompt": prompt, "chosen": RIGHT, "rejected": WRONG}] * 8
    model = train_proxy(pairs, tokenizer, ProxyConfig(reader=True, max_steps=3, batch_size=4, **SIZES), init=policy)
    assert all(torch.equal(v, policy.state_dict()[k]) for k, v in before.items())
    assert torch.isfinite(torch.as_tensor(proxy_scores(model, tokenizer, [prompt], [RIGHT]))).all()


def test_save_proxy_refuses_a_reading_proxy(tokenizer, policy, tmp_path):
    model = proxy_model(tokenizer, ProxyConfig(reader=True, **SIZES), init=policy)
    with pytest.raises(TypeError, match="reader=True"):
        save_proxy(model, tokenizer, tmp_path / "proxy")
