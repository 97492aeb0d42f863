"""Rendering, truncation (prompt cut from the left, counted) and collation."""
import pytest
import torch

from workbench.data import (
    LengthGroupedBatchSampler,
    ListwiseCollator,
    PairwiseCollator,
    PreferencePair,
    RankedList,
    encode_records,
    load_records,
    render,
)
from workbench.models.tiny import word_tokenizer


@pytest.fixture(scope="module")
def tok():
    return word_tokenizer()


def test_text_and_chat_rendering(tok):
    assert render("question ", "answer", tok) == ("question answer", 9)
    text, start = render([{"role": "user", "content": "hi"}], "good", tok)
    assert text == "<user> hi </s> <assistant> good </s> " and text[start:].startswith("good")
    plain = word_tokenizer(chat_template=False)
    with pytest.raises(ValueError, match="chat template"):
        render([{"role": "user", "content": "hi"}], "good", plain)


def test_all_trl_pair_formats_encode_to_the_same_ids(tok):
    chat = [{"role": "user", "content": "what is 2"}]
    explicit = {"prompt": chat, "chosen": [{"role": "assistant", "content": "good answer"}],
                "rejected": [{"role": "assistant", "content": "bad answer"}]}
    implicit = {"chosen": explicit["prompt"] + explicit["chosen"], "rejected": explicit["prompt"] + explicit["rejected"]}
    prompt_text = {"prompt": chat, "chosen": "good answer", "rejected": "bad answer"}
    encoded = [encode_records(load_records([r]), tok, max_length=64).items[0]
               for r in (explicit, implicit, prompt_text)]
    assert encoded[0] == encoded[1] == encoded[2]
    assert tok.decode(encoded[0]["chosen"]) == "<user> what is 2 </s> <assistant> good answer </s>"
    text_implicit = encode_records(load_records([{"chosen": "q 1 a good", "rejected": "q 1 a bad"}]), tok, 64)
    text_explicit = encode_records(load_records([{"prompt": "q 1 a ", "chosen": "good", "rejected": "bad"}]), tok, 64)
    assert text_implicit.items == text_explicit.items


def test_truncation_cuts_the_prompt_from_the_left_and_counts(tok):
    prompt = " ".join(str(i) for i in range(40)) + " "
    records = [PreferencePair("good answer", "bad answer", prompt=prompt),
               PreferencePair("yes", "no", prompt="what "),
               PreferencePair(" ".join(["good"] * 30), "bad", prompt=prompt)]
    encoded = encode_records(records, tok, max_length=12)
    first = tok.convert_ids_to_tokens(encoded.items[0]["chosen"])
    assert first == [str(i) for i in range(30, 40)] + ["good", "answer"]  # last prompt words, whole response
    assert tok.convert_ids_to_tokens(encoded.items[1]["chosen"]) == ["what", "yes"]
    assert len(encoded.items[2]["chosen"]) == 12 and set(tok.convert_ids_to_tokens(encoded.items[2]["chosen"])) == {"good"}
    assert (encoded.report.n_truncated, encoded.report.n_response_truncated, encoded.report.n_records) == (2, 1, 3)
    assert "2/3 records truncated" in str(encoded.report)
    assert len(encoded) == 3  # nothing dropped


def test_truncation_keeps_special_tokens_of_a_bert_tokenizer():
    from transformers import AutoTokenizer

    from workbench.paths import default_backbone

    bert = AutoTokenizer.from_pretrained(default_backbone())
    record = PreferencePair("the answer is yes", "no", prompt="please tell me " * 20)
    ids = encode_records([record], bert, max_length=10).items[0]["chosen"]
    tokens = bert.convert_ids_to_tokens(ids)
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and tokens[-5:-1] == ["the", "answer", "is", "yes"]
    assert len(ids) == 10


def test_pairwise_collator_layout():
    collate = PairwiseCollator(pad_token_id=1)
    batch = collate([{"chosen": [5, 6, 7], "rejected": [8], "margin": 2.0, "tie": False},
                     {"chosen": [9], "rejected": [10, 11], "margin": None, "tie": True}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [9, 1, 1], [8, 1, 1], [10, 11, 1]]
    assert batch["attention_mask"].sum(1).tolist() == [3, 1, 1, 2]
    assert batch["margin"].tolist() == [2.0, 0.0] and batch["tie"].tolist() == [False, True]
    left = PairwiseCollator(pad_token_id=1, padding_side="left", pad_to_multiple_of=4)
    assert left([{"chosen": [5], "rejected": [6], "tie": False}])["input_ids"].tolist() == [[1, 1, 1, 5], [1, 1, 1, 6]]


def test_listwise_collator_layout(tok):
    encoded = encode_records([RankedList("p ", ["a", "b", "c"], [2.0, 1.0, 0.0], top_k=2),
                              RankedList("q ", ["x", "y"], [0.0, 1.0])], tok, max_length=16)
    batch = ListwiseCollator(pad_token_id=tok.pad_token_id)(encoded.items)
    assert batch["input_ids"].shape == (5, 2)
    assert batch["index"].tolist() == [[0, 1, 2], [3, 4, 0]]
    assert batch["mask"].tolist() == [[True, True, True], [True, True, False]]
    assert batch["labels"].tolist() == [[2.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    assert batch["top_k"].tolist() == [2, 3]


def test_length_grouped_sampler_covers_everything_once_and_groups():
    lengths = [(i * 37) % 101 for i in range(200)]
    sampler = LengthGroupedBatchSampler(lengths, 8, group=25, seed=1)
    batches = sampler.batches()
    assert sorted(i for b in batches for i in b) == list(range(200)) and len(batches) == len(sampler) == 25
    padding = sum(len(b) * max(lengths[i] for i in b) - sum(lengths[i] for i in b) for b in batches)
    plain = LengthGroupedBatchSampler(lengths, 8, group=1, seed=1).batches()
    plain_padding = sum(len(b) * max(lengths[i] for i in b) - sum(lengths[i] for i in b) for b in plain)
    assert padding < plain_padding / 5
    assert sampler.batches() == batches  # deterministic for a resumed run
    sampler.set_epoch(1)
    assert sampler.batches() != batches
    with pytest.raises(ValueError):
        LengthGroupedBatchSampler(lengths, 0)


def test_encoding_rejects_mixed_or_empty_input(tok):
    with pytest.raises(ValueError, match="no records"):
        encode_records([], tok)
    with pytest.raises(TypeError):
        encode_records([{"chosen": "a"}], tok)
    assert torch.is_tensor(PairwiseCollator(0)([{"chosen": [1], "rejected": [2]}])["input_ids"])
