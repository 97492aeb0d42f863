import torch
import pytest
from transformers import (
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    BertForTokenClassification,
)

from workbench.paths import default_backbone
from workbench.prm import SimulatedPolicy, StepRecord, make_problems
from workbench.prm.model import (
    IGNORE,
    encode_steps,
    first_error_from_scores,
    load_orm,
    load_prm,
    make_step_collator,
    orm_scores,
    prm_step_scores,
)
from workbench.prm.train import train_orm, train_prm
from workbench.training import TrainConfig


def _tiny(cls, tmp_path):
    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, num_labels=1)
    torch.manual_seed(0)
    cls(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    return str(tmp_path)


@pytest.fixture(scope="module")
def records():
    problems = make_problems(64, steps=(3, 5), seed=31)
    policy = SimulatedPolicy(problems, error_rate=0.25, seed=32)
    return [policy.sample(p.question) for p in problems]


def test_encoding_puts_labels_at_separators():
    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    record = StepRecord("What is 2+2?", ["2 + 2 = 4", "so four", "done"], [1.0, None, 0.25])
    encoded = encode_steps(record, tokenizer, [tokenizer.sep_token_id], max_length=64)
    ids, labels, positions = encoded["input_ids"], encoded["labels"], encoded["positions"]
    assert [ids[p] for p in positions] == [tokenizer.sep_token_id] * 3
    assert [labels[p] for p in positions] == [1.0, IGNORE, 0.25]
    assert sum(label != IGNORE for label in labels) == 2
    short = encode_steps(record, tokenizer, [tokenizer.sep_token_id], max_length=14)
    assert len(short["input_ids"]) <= 14 and short["dropped_steps"] >= 1


def test_prm_trains_saves_and_reloads_plainly(tmp_path, records):
    model, tokenizer = load_prm(_tiny(BertForTokenClassification, tmp_path / "base"))
    before = prm_step_scores(model, tokenizer, records[:8])
    config = TrainConfig(max_steps=20, batch_size=16, max_length=128, learning_rate=3e-3,
                         output_dir=str(tmp_path / "prm"), progress=False, warmup_ratio=0.0)
    result = train_prm(records, config, model=model, tokenizer=tokenizer)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    reloaded = AutoModelForTokenClassification.from_pretrained(tmp_path / "prm")
    assert reloaded.config.prm_separator_ids == [tokenizer.sep_token_id]
    plain_tokenizer = AutoTokenizer.from_pretrained(tmp_path / "prm")
    after = prm_step_scores(reloaded, plain_tokenizer, records[:8])
    assert [len(s) for s in after] == [len(r.steps) for r in records[:8]] == [len(s) for s in before]
    trained = prm_step_scores(result.model, tokenizer, records[:8])
    assert sum(trained, []) == pytest.approx(sum(after, []), abs=1e-5)
    assert first_error_from_scores([0.9, 0.4, 0.8]) == 1 and first_error_from_scores([0.9]) is None


def test_orm_trains_on_outcomes_and_reloads(tmp_path, records):
    model, tokenizer = load_orm(_tiny(BertForSequenceClassification, tmp_path / "base"))
    config = TrainConfig(max_steps=20, batch_size=16, max_length=128, learning_rate=3e-3,
                         output_dir=str(tmp_path / "orm"), progress=False, warmup_ratio=0.0)
    result = train_orm(records, config, model=model, tokenizer=tokenizer)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "orm")
    scores = orm_scores(reloaded, tokenizer, records[:6])
    assert scores == pytest.approx(orm_scores(result.model, tokenizer, records[:6]), abs=1e-5)
    assert all(0.0 < s < 1.0 for s in scores)
    unlabeled = [StepRecord("Q", ["a"], [None])]
    with pytest.raises(ValueError, match="record 0"):
        train_orm(unlabeled, config, model=model, tokenizer=tokenizer)


def test_collator_pads():
    batch = make_step_collator(0)([{"input_ids": [5, 6, 7], "labels": [IGNORE, IGNORE, 1.0]},
                                   {"input_ids": [5], "labels": [0.0]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["labels"][1].tolist() == [0.0, IGNORE, IGNORE]


def test_outcome_encoding_keeps_the_end_of_a_long_solution():
    from workbench.prm.model import encode_outcome

    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    record = StepRecord("A long question " * 30, ["step number %d" % i for i in range(40)], [None] * 40, answer="42")
    encoded = encode_outcome(record, tokenizer, label=1.0, max_length=32)
    assert len(encoded["input_ids"]) == 32 and encoded["label"] == 1.0
    assert tokenizer.decode(encoded["input_ids"]).rstrip(" [SEP]").endswith("the answer is 42.")


def test_decoder_prm_reads_scores_at_eos_separators(tmp_path):
    from transformers import GPT2ForTokenClassification

    from workbench.models.tiny import tiny_config, word_tokenizer
    from workbench.prm.model import separator_ids

    tokenizer = word_tokenizer()
    torch.manual_seed(0)
    config = tiny_config("gpt2", vocab_size=len(tokenizer))
    config.num_labels = 1
    model = GPT2ForTokenClassification(config)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    prm, tok = load_prm(str(tmp_path))
    assert prm.config.prm_separator_ids == separator_ids(tok) == [tok.eos_token_id]
    record = StepRecord("what is 2 and 2", ["2 and 2 is 4", "the answer is 4"], [1.0, 0.0])
    scores = prm_step_scores(prm, tok, [record, StepRecord("q", ["a"], [None])])
    assert [len(s) for s in scores] == [2, 1] and all(0.0 < x < 1.0 for row in scores for x in row)
    config = TrainConfig(max_steps=3, batch_size=2, max_length=64, output_dir=str(tmp_path / "out"), progress=False)
    result = train_prm([record] * 4, config, model=prm, tokenizer=tok)
    assert result.steps == 3


def _modes_seen(model) -> list[bool]:
    """``model.training`` at every forward call, recorded by a pre-hook."""
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    return seen


def test_scoring_runs_in_eval_mode_and_gives_the_mode_back(tmp_path, records):
    """A model scored halfway through training keeps its dropout on for the rest of the run."""
    prm, tokenizer = load_prm(_tiny(BertForTokenClassification, tmp_path / "prm"))
    orm, _ = load_orm(_tiny(BertForSequenceClassification, tmp_path / "orm"))
    for model, score in ((prm, prm_step_scores), (orm, orm_scores)):
        seen = _modes_seen(model)
        model.train()
        first = score(model, tokenizer, records[:4])
        assert model.training and seen and not any(seen)  # eval inside (no dropout), train again after
        assert score(model, tokenizer, records[:4]) == first  # deterministic: dropout was off
        model.eval()
        score(model, tokenizer, records[:2])
        assert not model.training  # and an eval model stays in eval
