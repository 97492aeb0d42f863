"""Shared-prompt packing of pairs: packed scores, losses (margins, ties) and gradients equal the plain path."""
import pytest
import torch

from workbench.data import PairwiseCollator
from workbench.models.tiny import tiny_reward_model
from workbench.training import TrainConfig, as_encoded, pairwise_objective, score_pairs, train
from workbench.training.shared_prompt import (
    SharedPairCollator,
    packs_by_default,
    score_packed_pairs,
    shared_pair_objective,
)

TOL = dict(atol=1e-5, rtol=1e-5)


def random_pairs(n=8, seed=0, vocab=(10, 120)):
    """Pairs with prompts of 0..30 tokens (0: texts that share no prompt), responses of 1..10, margins, ties."""
    g = torch.Generator().manual_seed(seed)
    rand = lambda lo, hi: int(torch.randint(lo, hi, (1,), generator=g))  # noqa: E731
    items = []
    for i in range(n):
        prompt = torch.randint(*vocab, (0 if i % 4 == 3 else rand(1, 31),), generator=g).tolist()
        chosen, rejected = (prompt + torch.randint(*vocab, (rand(1, 11),), generator=g).tolist() for _ in range(2))
        items.append({"chosen": chosen, "rejected": rejected, "margin": float(i % 3), "tie": i % 5 == 1})
    return items


@pytest.fixture(scope="module")
def decoders():
    llama, _ = tiny_reward_model("llama", seed=1, layers=2, hidden=32)
    gpt2, _ = tiny_reward_model("gpt2", seed=2, layers=2, hidden=32)
    eager, _ = tiny_reward_model("llama", seed=4)
    eager.set_attn_implementation("eager")
    return {"llama": llama, "gpt2": gpt2, "llama-eager": eager}


def test_collator_layout():
    items = [{"chosen": [5, 6, 7, 8], "rejected": [5, 6, 9], "margin": 2.0},
             {"chosen": [11], "rejected": [12, 13], "tie": True}]
    batch = SharedPairCollator(0)(items)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8, 9], [11, 12, 13, 0, 0]]
    assert batch["position_ids"][0].tolist() == [0, 1, 2, 3, 2]
    assert batch["last"].tolist() == [[3, 4], [0, 2]] and batch["prompt_length"].tolist() == [2, 0]
    assert batch["margin"].tolist() == [2.0, 0.0] and batch["tie"].tolist() == [False, True]
    with pytest.raises(ValueError, match="item 0, field 'rejected'"):
        SharedPairCollator(0)([{"chosen": [1], "rejected": []}])


@pytest.mark.parametrize("name", ["llama", "gpt2", "llama-eager"])
def test_packed_pair_scores_equal_plain_scores(decoders, name):
    model = decoders[name].eval()
    items = random_pairs(12, seed=5)
    with torch.no_grad():
        plain = score_pairs(model, PairwiseCollator(1)(items))
        packed = score_packed_pairs(model, SharedPairCollator(1)(items))
    for a, b in zip(packed, plain):
        torch.testing.assert_close(a, b, **TOL)
    assert plain[0].std() > 1e-3  # the scores differ between pairs: the check can fail


@pytest.mark.parametrize("name", ["llama", "gpt2"])
@pytest.mark.parametrize("loss", ["bradley_terry", "bradley_terry_ties", "hinge"])
def test_loss_metrics_and_gradients_match_the_plain_path(decoders, name, loss):
    model = decoders[name].train()
    items = random_pairs(8, seed=11)
    results = []
    for objective, batch in ((pairwise_objective(loss, center_weight=0.1), PairwiseCollator(1)(items)),
                             (shared_pair_objective(loss, center_weight=0.1), SharedPairCollator(1)(items))):
        model.zero_grad()
        value, metrics = objective(model, batch)
        value.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((value.detach(), metrics, grads))
    (l1, m1, g1), (l2, m2, g2) = results
    torch.testing.assert_close(l2, l1, **TOL)
    assert m1.keys() == m2.keys() and all(abs(m1[k] - m2[k]) < 1e-5 for k in m1)
    assert g1.keys() == g2.keys() and len(g1) == len(list(model.parameters()))
    for n in g1:
        torch.testing.assert_close(g2[n], g1[n], atol=1e-5, rtol=1e-4, msg=lambda m, n=n: f"{n}: {m}")
    assert sum(g.abs().sum() for g in g1.values()) > 0
    model.zero_grad()


def _word_pairs(n=16):
    good, bad = ["good", "great", "helpful", "clear"], ["bad", "awful", "rude", "wrong"]
    return [{"prompt": f"question {i} what is {i % 7} ? the answer is", "chosen": f"a {good[i % 4]} answer",
             "rejected": f"the {bad[i % 4]} answer", "margin": float(i % 2)} for i in range(n)]


def test_auto_trains_pairs_packed_step_for_step_like_plain(tmp_path):
    """shared_prompt=None on a decoder packs pairs; the losses equal shared_prompt=False's."""
    histories = []
    for switch in (None, False):
        model, tok = tiny_reward_model("llama", seed=0)
        config = TrainConfig(output_dir=str(tmp_path / f"run{switch}"), batch_size=4, max_length=32,
                             learning_rate=3e-3, warmup_ratio=0.0, max_steps=4, progress=False, log_every=1,
                             save_model=False, shared_prompt=switch, center_weight=0.01)
        data = as_encoded(_word_pairs(), tok, 32)
        assert packs_by_default(config, model, data.kind) is (switch is None)
        result = train(config, data, model=model, tokenizer=tok)
        histories.append([h["loss"] for h in result.history])
    assert len(histories[0]) == 4
    assert histories[0] == pytest.approx(histories[1], abs=1e-5)


def test_auto_keeps_the_plain_path_where_packing_is_not_exact_or_not_ours():
    config = TrainConfig(save_model=False)
    decoder, _ = tiny_reward_model("llama", seed=0)
    encoder, _ = tiny_reward_model("bert", seed=0)
    assert packs_by_default(config, decoder, "pairwise")
    assert not packs_by_default(config, encoder, "pairwise")  # bidirectional: responses would see each other
    assert not packs_by_default(config, decoder, "listwise")  # lists: shared_prompt=True, as before
    assert not packs_by_default(config, decoder, "pairwise", compute_loss=pairwise_objective())
    assert not packs_by_default(config, decoder, "pairwise", collate_fn=PairwiseCollator(0))
    assert not packs_by_default(TrainConfig(shared_prompt=False), decoder, "pairwise")
    assert not packs_by_default(TrainConfig(loss="plackett_luce"), decoder, "pairwise")
    flex, _ = tiny_reward_model("llama", seed=0)
    flex.set_attn_implementation("flex_attention")
    assert not packs_by_default(config, flex, "pairwise")  # auto never switches the kernel


def test_pair_benchmark_and_the_peak_helper_run_at_a_tiny_size():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "shared_prompt.py"
    spec = importlib.util.spec_from_file_location("bench_shared_prompt_pairs", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:
        result = bench.main(["--pairs", "--lists", "4", "--layers", "1", "--hidden", "32", "--vocab", "64",
                             "--prompt", "16", "--response", "4", "--repeats", "1", "--threads", str(threads)])
    finally:
        torch.set_num_threads(threads)
    assert result["loss_diff"] < 1e-4 and result["ratio"] > 0
    assert all(0 < f < 10 for f in result["fraction_of_peak"].values())
    peak = sys.modules["_peak"]
    model, _ = tiny_reward_model("gpt2", hidden=32, layers=2)
    n = peak.non_embedding_parameters(model)
    assert 0 < n < sum(p.numel() for p in model.parameters())  # token and position tables left out
    assert peak.training_flops(model, [10]) == 6 * n * 10 + 12 * 2 * 32 * 100
