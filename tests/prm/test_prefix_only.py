"""A PRM's step score is a function of the question and the steps up to it, for every backbone kind.

Issue 12 measured the opposite on the default encoder: step 1's score moved from 0.471 to 0.458 when a
third step was appended. Beam search, shaping and first-error search all assume it cannot move.
"""
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

from workbench.paths import default_backbone
from workbench.prm.model import is_prefix_only, prefix_records, prm_step_scores
from workbench.prm.records import StepRecord
from workbench.prm.train import train_prm
from workbench.training import TrainConfig
from workbench.world.models import tiny_step_scorer
from workbench.world.tokenizer import world_tokenizer

QUESTION = "Tom has 7 apples. He gets 5 more. Ann takes 3. He doubles them. How many apples does Tom have?"
STEPS = ["He gets 5 more, so Tom has 7 + 5 = 12 apples.", "Ann takes 3, so Tom has 12 - 3 = 9 apples.",
         "He doubles them, so Tom has 9 * 2 = 18 apples."]


def _encoder():
    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    torch.manual_seed(0)
    model = BertForTokenClassification(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32,
                                                  num_hidden_layers=2, num_attention_heads=2,
                                                  intermediate_size=64, num_labels=1))
    return model, tokenizer


def _decoder(arch):
    tokenizer = world_tokenizer()
    return tiny_step_scorer(tokenizer, arch=arch, hidden=32, layers=2, heads=2, seed=0), tokenizer


BACKBONES = {"bert encoder": _encoder, "llama decoder": lambda: _decoder("llama"),
             "gpt2 decoder": lambda: _decoder("gpt2")}


@pytest.mark.parametrize("kind", BACKBONES)
def test_appending_steps_leaves_earlier_scores_unchanged(kind):
    model, tokenizer = BACKBONES[kind]()
    assert is_prefix_only(model) == (kind != "bert encoder")
    rows = prm_step_scores(model, tokenizer, [StepRecord(QUESTION, STEPS[:k], [None] * k) for k in (1, 2, 3)])
    assert [len(row) for row in rows] == [1, 2, 3]
    for shorter, longer in zip(rows, rows[1:]):
        assert longer[:len(shorter)] == pytest.approx(shorter, abs=1e-5)
    # and the model does read its own step: another last step moves the last score
    other = prm_step_scores(model, tokenizer, [StepRecord(QUESTION, [STEPS[0], STEPS[2]], [None] * 2)])[0]
    assert other[0] == pytest.approx(rows[1][0], abs=1e-5) and abs(other[1] - rows[1][1]) > 1e-6


def test_prefix_records_label_only_their_last_step():
    record = StepRecord(QUESTION, STEPS, [1.0, 0.0, 0.0])
    prefixes = prefix_records(record)
    assert [p.steps for p in prefixes] == [STEPS[:1], STEPS[:2], STEPS]
    assert [p.labels for p in prefixes] == [[1.0], [None, 0.0], [None, None, 0.0]]


def test_an_encoder_prm_trains_on_prefixes_and_still_scores_prefix_only(tmp_path):
    model, tokenizer = _encoder()
    records = [StepRecord(QUESTION, STEPS, [1.0, 0.0, 0.0]), StepRecord(QUESTION, STEPS[:2], [1.0, 1.0])]
    config = TrainConfig(max_steps=3, batch_size=2, max_length=96, output_dir="", save_model=False, progress=False)
    result = train_prm(records, config, model=model, tokenizer=tokenizer)
    assert result.steps == 3 and result.items >= 5  # 3 + 2 prefixes, not 2 records
    full, cut = prm_step_scores(result.model, tokenizer, [StepRecord(QUESTION, STEPS, [None] * 3),
                                                         StepRecord(QUESTION, STEPS[:1], [None])])
    assert full[0] == pytest.approx(cut[0], abs=1e-5)
