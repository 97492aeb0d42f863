"""The reading verifier: the reader's surprise is exact, the reader stays frozen, scores stay prefix-only."""
import pytest
import torch

from workbench.prm.model import is_prefix_only, prm_step_scores
from workbench.prm.records import StepRecord
from workbench.world.models import tiny_causal_lm, tiny_step_scorer
from workbench.world.reader import ReadingScorer
from workbench.world.tokenizer import world_tokenizer
from workbench.world.verifiers import VerifierConfig, train_process_verifier


@pytest.fixture(scope="module")
def tokenizer():
    return world_tokenizer()


def _scorer(tokenizer, arch="llama", seed=0):
    reader = tiny_causal_lm(tokenizer, arch=arch, hidden=32, layers=2, heads=2, seed=seed)
    scorer = tiny_step_scorer(tokenizer, arch=arch, hidden=32, layers=2, heads=2, seed=seed + 1)
    newline = tokenizer.convert_tokens_to_ids(tokenizer.tokenize("\n"))[0]
    return ReadingScorer(scorer, reader, solution_start_id=newline), reader


def test_surprise_is_the_readers_negative_log_probability(tokenizer):
    model, reader = _scorer(tokenizer)
    ids = torch.tensor([tokenizer("Tom has 7 apples.\nTom has 7 + 5 = 12 apples.\n")["input_ids"]])
    surprise = model.surprise(ids)
    log_probs = torch.log_softmax(reader(input_ids=ids).logits[0], dim=-1)
    by_hand = [-log_probs[t - 1, ids[0, t]].item() for t in range(1, ids.shape[1])]
    assert surprise[0, 0].item() == 0.0
    assert surprise[0, 1:].tolist() == pytest.approx(by_hand, abs=1e-5)


def test_the_running_maximum_starts_after_the_question(tokenizer):
    model, _ = _scorer(tokenizer)
    ids = torch.tensor([tokenizer("Tom has 7 apples.\nTom has 7 + 5 = 12 apples.\n")["input_ids"]])
    surprise = torch.arange(ids.shape[1], dtype=torch.float).flip(0)[None]  # largest inside the question
    peak = model.running_max(ids, surprise)[0]
    first = tokenizer("Tom has 7 apples.\n")["input_ids"].__len__()  # first solution token
    assert peak[:first].tolist() == [0.0] * first
    assert peak[first:].tolist() == [surprise[0, first].item()] * (ids.shape[1] - first)


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_appending_steps_leaves_earlier_step_scores_unchanged(tokenizer, arch):
    model, _ = _scorer(tokenizer, arch=arch)
    with torch.no_grad():  # give the zero-initialised weight on the running maximum some effect
        model.max_weight.weight.copy_(torch.linspace(1.0, -1.0, model.max_weight.weight.shape[0])[:, None])
    assert is_prefix_only(model)
    steps = ["He gets 5 more, so Tom has 7 + 5 = 12 apples.", "He loses 2, so Tom has 12 - 2 = 10 apples.",
             "He doubles them, so Tom has 10 * 2 = 20 apples."]
    short = StepRecord("Tom has 7 apples. He gets 5 more.", steps[:1], [1.0])
    long = StepRecord("Tom has 7 apples. He gets 5 more.", steps, [1.0, 1.0, 1.0])
    first = prm_step_scores(model, tokenizer, [short])[0]
    full = prm_step_scores(model, tokenizer, [long])[0]
    assert len(full) == 3 and full[0] == pytest.approx(first[0], abs=1e-6)


def test_training_moves_the_verifier_and_never_the_reader(tokenizer):
    reader = tiny_causal_lm(tokenizer, hidden=32, layers=2, heads=2, seed=0)
    before = {k: v.clone() for k, v in reader.state_dict().items()}
    records = [StepRecord("Tom has 7 apples. He gets 5 more.", ["He gets 5 more, so Tom has 7 + 5 = 12 apples."],
                          [float(i % 2)], answer="12", reference="12") for i in range(8)]
    config = VerifierConfig(max_steps=3, batch_size=4, hidden=32, layers=2, heads=2)
    prm = train_process_verifier(records, tokenizer, config, init=reader)
    assert all(torch.equal(before[k], v) for k, v in reader.state_dict().items())
    assert all(torch.equal(before[k], v) for k, v in prm.reader.state_dict().items())
    assert prm.max_weight.weight.abs().sum() > 0  # the weights on the running maximum did learn
    assert not prm.reader.training
    # the caller's model is not touched: it can still be trained (a policy that also reads for its verifier)
    assert all(p.requires_grad for p in reader.parameters()) and reader.training


def test_a_reading_verifier_without_a_policy_is_refused(tokenizer):
    records = [StepRecord("q", ["s"], [1.0], answer="1", reference="1")]
    with pytest.raises(ValueError, match="init=<the policy>"):
        train_process_verifier(records, tokenizer, VerifierConfig(max_steps=1), init=None)


def test_reader_and_scorer_must_share_a_vocabulary(tokenizer):
    reader = tiny_causal_lm(tokenizer, hidden=32, layers=2, heads=2)
    reader.config.vocab_size += 1
    with pytest.raises(ValueError, match="vocabulary"):
        ReadingScorer(tiny_step_scorer(tokenizer, hidden=32, layers=2, heads=2), reader, solution_start_id=5)
