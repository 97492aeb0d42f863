"""Shared-prompt packing: packed scores, loss and gradients equal the plain per-response computation."""
import pytest
import torch

from workbench.data import ListwiseCollator
from workbench.models.tiny import tiny_reward_model
from workbench.training import TrainConfig, as_encoded, listwise_objective, score_lists, train
from workbench.training.shared_prompt import (
    SharedPromptCollator,
    block_mask,
    score_packed,
    shared_prefix_length,
    shared_prompt_objective,
)

TOL = dict(atol=1e-5, rtol=1e-5)


def random_lists(n_lists=5, seed=0, vocab=(10, 120)):
    """Lists with different K (1..4), prompt lengths (0..20) and response lengths (1..12)."""
    g = torch.Generator().manual_seed(seed)
    rand = lambda lo, hi: int(torch.randint(lo, hi, (1,), generator=g))  # noqa: E731
    items = []
    for i in range(n_lists):
        prompt = torch.randint(*vocab, (rand(0, 21),), generator=g).tolist()
        k = [4, 2, 3, 1, 4][i % 5]
        responses = [prompt + torch.randint(*vocab, (rand(1, 13),), generator=g).tolist() for _ in range(k)]
        labels = torch.randint(0, 3, (k,), generator=g).float().tolist()
        items.append({"responses": responses, "labels": labels, "top_k": None})
    return items


def models():
    llama, _ = tiny_reward_model("llama", seed=1, layers=2, hidden=32)
    gpt2, _ = tiny_reward_model("gpt2", seed=2, layers=2, hidden=32)
    mean_llama, _ = tiny_reward_model("llama", seed=3, pooling="mean")
    eager, _ = tiny_reward_model("llama", seed=4)
    eager.set_attn_implementation("eager")
    return {"llama": llama, "gpt2": gpt2, "llama-mean": mean_llama, "llama-eager": eager}


@pytest.fixture(scope="module")
def all_models():
    return models()


def plain_and_packed(items, pad=1):
    plain_batch, packed_batch = ListwiseCollator(pad)(items), SharedPromptCollator(pad)(items)
    return plain_batch, packed_batch


@pytest.mark.parametrize("name", ["llama", "gpt2", "llama-mean", "llama-eager"])
def test_packed_scores_equal_plain_scores(all_models, name):
    model = all_models[name].eval()
    items = random_lists(10, seed=7)
    plain_batch, packed_batch = plain_and_packed(items)
    with torch.no_grad():
        plain, packed = score_lists(model, plain_batch), score_packed(model, packed_batch)
    mask = plain_batch["mask"]
    assert torch.equal(mask, packed_batch["mask"]) and packed.shape == plain.shape
    torch.testing.assert_close(packed[mask], plain[mask], **TOL)
    assert plain[mask].std() > 1e-3  # the scores differ between responses: the check can fail
    # the packed rows are shorter than the K plain sequences together
    assert packed_batch["input_ids"].numel() < plain_batch["input_ids"].numel()


def test_real_text_lists_with_a_wordpiece_tokenizer():
    """Bundled Prometheus ranking prompts (real multi-turn text), MiniLM's tokenizer, a tiny Llama."""
    import json
    from pathlib import Path

    from transformers import AutoTokenizer

    from workbench.paths import default_backbone

    path = Path(__file__).resolve().parents[2] / "data" / "prometheus_ranking_sample.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()[:6]]
    records = [{"prompt": r["prompt"], "responses": r["responses"], "labels": r["meta"]["scores"]} for r in rows]
    model, tok = tiny_reward_model("llama", tokenizer=AutoTokenizer.from_pretrained(default_backbone()))
    items = list(as_encoded(records, tok, 512).items)
    plain_batch, packed_batch = ListwiseCollator(tok.pad_token_id)(items), SharedPromptCollator(tok.pad_token_id)(items)
    assert (packed_batch["prompt_length"] > 100).all()  # the real prompts are shared, not re-encoded
    with torch.no_grad():
        plain, packed = score_lists(model.eval(), plain_batch), score_packed(model, packed_batch)
    torch.testing.assert_close(packed[plain_batch["mask"]], plain[plain_batch["mask"]], **TOL)


def test_collator_layout_positions_and_block_mask():
    items = [{"responses": [[5, 6, 7, 8], [5, 6, 9], [5, 6, 7, 10, 11]], "labels": [1, 0, 2], "top_k": 2},
             {"responses": [[5, 12], [13, 14]], "labels": [0, 1], "top_k": None}]
    batch = SharedPromptCollator(0)(items)
    assert batch["input_ids"][0].tolist() == [5, 6, 7, 8, 9, 7, 10, 11]
    assert batch["position_ids"][0].tolist() == [0, 1, 2, 3, 2, 2, 3, 4]
    assert batch["segments"][0].tolist() == [0, 0, 1, 1, 2, 3, 3, 3]
    assert batch["last"][0].tolist() == [3, 4, 7] and batch["prompt_length"].tolist() == [2, 0]
    assert batch["input_ids"][1].tolist() == [5, 12, 13, 14, 0, 0, 0, 0]
    assert batch["last"][1].tolist() == [1, 3, 0] and batch["mask"][1].tolist() == [True, True, False]
    assert batch["top_k"].tolist() == [2, 3]
    allowed = batch["attention_mask"][0, 0]
    assert allowed[7].tolist() == [True, True, False, False, False, True, True, True]  # prompt + own response
    assert allowed[4].tolist() == [True, True, False, False, True, False, False, False]
    assert allowed[1].tolist() == [True, True] + [False] * 6  # prompt is causal
    pad_rows = batch["attention_mask"][1, 0, 4:]
    assert pad_rows.sum(-1).tolist() == [1, 1, 1, 1]  # padding sees only itself
    assert shared_prefix_length([[1, 2], [1, 2, 3]]) == 1  # every response keeps a token
    with pytest.raises(ValueError, match="at least one token"):
        shared_prefix_length([[1], []])
    assert block_mask(torch.tensor([[0, 1, -1]])).shape == (1, 1, 3, 3)
    with pytest.raises(ValueError, match="item 1, field 'labels'"):
        SharedPromptCollator(0)([items[0], {"responses": [[5, 6]], "labels": [1, 2]}])
    with pytest.raises(ValueError, match="item 0, field 'responses'"):
        SharedPromptCollator(0)([{"responses": [[5, 6], []], "labels": [1, 2]}])


@pytest.mark.parametrize("name", ["llama", "gpt2"])
def test_loss_metrics_and_gradients_match_the_plain_computation(all_models, name):
    model = all_models[name].train()
    items = random_lists(5, seed=11)
    items[0]["top_k"] = 2  # a partial ranking reaches Plackett-Luce in both paths
    plain_batch, packed_batch = plain_and_packed(items)
    results = []
    for objective, batch in ((listwise_objective("plackett_luce", center_weight=0.1), plain_batch),
                             (shared_prompt_objective("plackett_luce", center_weight=0.1), packed_batch)):
        model.zero_grad()
        loss, metrics = objective(model, batch)
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((loss.detach(), metrics, grads))
    (l1, m1, g1), (l2, m2, g2) = results
    torch.testing.assert_close(l2, l1, **TOL)
    assert m1.keys() == m2.keys() and all(abs(m1[k] - m2[k]) < 1e-5 for k in m1)
    assert g1.keys() == g2.keys() and len(g1) == len(list(model.parameters()))
    for n in g1:
        torch.testing.assert_close(g2[n], g1[n], atol=1e-5, rtol=1e-4, msg=lambda m, n=n: f"{n}: {m}")
    assert sum(g.abs().sum() for g in g1.values()) > 0
    model.zero_grad()


@pytest.mark.parametrize("loss", ["listnet", "lambdarank"])
def test_other_listwise_losses_match(all_models, loss):
    model = all_models["gpt2"].eval()
    plain_batch, packed_batch = plain_and_packed(random_lists(5, seed=3))
    with torch.no_grad():
        a, _ = listwise_objective(loss)(model, plain_batch)
        b, _ = shared_prompt_objective(loss)(model, packed_batch)
    torch.testing.assert_close(b, a, **TOL)


@pytest.mark.parametrize("name", ["llama", "gpt2"])
def test_responses_cannot_see_each_other(all_models, name):
    model = all_models[name].eval()
    prompt = list(range(20, 40))
    base = {"responses": [prompt + [50, 51, 52], prompt + [60, 61], prompt + [70, 71, 72, 73]],
            "labels": [0, 1, 2], "top_k": None}
    changed = {**base, "responses": [prompt + [90, 91, 92, 93, 94]] + base["responses"][1:]}
    with torch.no_grad():
        before = score_packed(model, SharedPromptCollator(1)([base]))[0]
        after = score_packed(model, SharedPromptCollator(1)([changed]))[0]
    assert abs(after[0] - before[0]) > 1e-4  # response 1 itself did change
    torch.testing.assert_close(after[1:], before[1:], atol=1e-6, rtol=0)


def test_a_kernel_without_dense_masks_is_switched_to_sdpa():
    model, _ = tiny_reward_model("llama", seed=5)
    model.set_attn_implementation("flex_attention")
    items = random_lists(3, seed=2)
    with pytest.warns(UserWarning, match="switching the model to 'sdpa'"), torch.no_grad():
        packed = score_packed(model.eval(), SharedPromptCollator(1)(items))
    assert model.config._attn_implementation == "sdpa"
    plain_batch = ListwiseCollator(1)(items)
    with torch.no_grad():
        plain = score_lists(model, plain_batch)
    torch.testing.assert_close(packed[plain_batch["mask"]], plain[plain_batch["mask"]], **TOL)


def test_encoders_are_refused():
    bert, _ = tiny_reward_model("bert", seed=0)
    batch = SharedPromptCollator(1)(random_lists(2))
    with pytest.raises(ValueError, match="causal decoder"):
        score_packed(bert, batch)
    with pytest.raises(ValueError, match="pairwise loss"):
        shared_prompt_objective("bradley_terry")


def test_train_with_the_packed_objective(tmp_path):
    model, tok = tiny_reward_model("llama", seed=0)
    good, bad = ["good", "great", "helpful", "clear"], ["bad", "awful", "rude", "wrong"]
    records = []
    for i in range(32):
        g1, g2, b1, b2 = good[i % 4], good[(i + 1) % 4], bad[i % 4], bad[(i + 2) % 4]
        responses = [f"a {g1} answer", f"the {b1} answer", f"a {g2} {g1} answer", f"{b2} {b1}"]
        records.append({"prompt": f"question {i} what is {i % 7} ? ", "responses": responses, "labels": [1, 0, 2, -1]})
    data = as_encoded(records, tok, 32)
    config = TrainConfig(output_dir=str(tmp_path / "run"), batch_size=4, max_length=32, learning_rate=3e-3,
                         warmup_ratio=0.0, epochs=2, progress=False, log_every=2, save_model=False)
    result = train(config, data, model=model, tokenizer=tok, collate_fn=SharedPromptCollator(tok.pad_token_id),
                   compute_loss=shared_prompt_objective("plackett_luce"))
    losses = [h["loss"] for h in result.history if "loss" in h]
    assert result.steps == 16 and len(losses) >= 4 and all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-2:]) < sum(losses[:2])  # it learns
    assert {"kendall_tau", "ndcg"} <= set(result.history[-1])


def _ranked_word_lists(n=16):
    good, bad = ["good", "great", "helpful", "clear"], ["bad", "awful", "rude", "wrong"]
    return [{"prompt": f"question {i} what is {i % 7} ? ",
             "responses": [f"a {good[i % 4]} answer", f"the {bad[i % 4]} answer", f"{bad[(i + 2) % 4]}"],
             "labels": [1, 0, -1]} for i in range(n)]


def test_shared_prompt_config_runs_the_packed_objective(tmp_path):
    """TrainConfig(shared_prompt=True) is the explicit packed collate_fn + objective, step for step."""
    records = _ranked_word_lists()
    histories = []
    for explicit in (False, True):
        model, tok = tiny_reward_model("llama", seed=0)
        config = TrainConfig(output_dir=str(tmp_path / f"run{explicit}"), loss="plackett_luce", batch_size=4,
                             max_length=32, learning_rate=3e-3, warmup_ratio=0.0, max_steps=4, progress=False,
                             log_every=1, save_model=False, shared_prompt=not explicit, center_weight=0.01)
        extra = ({"collate_fn": SharedPromptCollator(tok.pad_token_id),
                  "compute_loss": shared_prompt_objective("plackett_luce", center_weight=0.01)} if explicit else {})
        data = as_encoded(records, tok, 32)
        result = train(config, data, model=model, tokenizer=tok, **extra)
        histories.append([h["loss"] for h in result.history])
    assert len(histories[0]) == 4
    assert histories[0] == pytest.approx(histories[1], abs=1e-6)


def test_shared_prompt_config_refuses_what_it_cannot_pack(tmp_path):
    config = TrainConfig(output_dir=str(tmp_path), loss="plackett_luce", max_steps=1, progress=False,
                         save_model=False, shared_prompt=True, max_length=32)
    decoder, tok = tiny_reward_model("llama", seed=0)
    pairs = [{"prompt": "q ", "chosen": "good", "rejected": "bad"}] * 4
    with pytest.raises(ValueError, match="packs ranked lists; this data holds pairwise"):
        train(config, pairs, model=decoder, tokenizer=tok)
    encoder, enc_tok = tiny_reward_model("bert", seed=0)
    with pytest.raises(ValueError, match="needs a causal decoder.*'bert'"):
        train(config, _ranked_word_lists(4), model=encoder, tokenizer=enc_tok)
    with pytest.raises(ValueError, match="pass one or the other"):
        train(config, as_encoded(_ranked_word_lists(4), tok, 32), model=decoder, tokenizer=tok,
              collate_fn=SharedPromptCollator(tok.pad_token_id), compute_loss=shared_prompt_objective())


def test_benchmark_script_runs_at_a_tiny_size():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "shared_prompt.py"
    spec = importlib.util.spec_from_file_location("bench_shared_prompt", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:
        result = bench.main(["--layers", "1", "--hidden", "32", "--vocab", "64", "--prompt", "16", "--response", "4",
                             "--repeats", "1", "--threads", str(threads)])
    finally:
        torch.set_num_threads(threads)
    assert result["loss_diff"] < 1e-4 and result["plain_s"] > 0 and result["packed_s"] > 0
