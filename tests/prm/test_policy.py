import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import torch
from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

from workbench.paths import default_backbone
from workbench.prm import MonteCarloAnnotator, StepRecord
from workbench.prm.policy import HTTPPolicy, TransformersPolicy


@pytest.fixture(scope="module")
def tiny_lm():
    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=tokenizer.vocab_size, n_embd=32, n_layer=2, n_head=2,
                                       n_positions=256, eos_token_id=tokenizer.sep_token_id))
    return model.eval(), tokenizer


def test_prefix_cache_reuse_gives_the_same_rollouts(tiny_lm):
    model, tokenizer = tiny_lm
    cached = TransformersPolicy(model, tokenizer, max_new_tokens=8, do_sample=False)
    plain = TransformersPolicy(model, tokenizer, max_new_tokens=8, do_sample=False, reuse_prefix_cache=False)
    a = cached.rollout("Tom has 3 apples.", ["He buys 2 more: 3 + 2 = 5."], 3)
    b = plain.rollout("Tom has 3 apples.", ["He buys 2 more: 3 + 2 = 5."], 3)
    assert a == b and len(a) == 3 and cached.rollouts == 3
    sampled = TransformersPolicy(model, tokenizer, max_new_tokens=6).rollout("Q", ["x = 1"], 4)
    assert len(sampled) == 4
    steps = cached.next_steps("Q", [], 2)
    assert len(steps) == 2 and all("\n" not in s for s in steps)


class _Completions(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        choices = [{"index": i, "text": f" 2 + 2 = 4\nThe answer is {4 if i % 2 == 0 else 5}."}
                   for i in range(body["n"])]
        data = json.dumps({"choices": choices}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_http_policy_with_mc_annotation():
    server = HTTPServer(("127.0.0.1", 0), _Completions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        policy = HTTPPolicy(f"http://127.0.0.1:{server.server_address[1]}/v1", "m")
        record = StepRecord("What is 2+2?", ["Two and two.", "Add them."], [None, None], reference="4")
        annotation = MonteCarloAnnotator(policy, n=4).annotate(record)
        assert annotation.labels == [0.5, 0.5] and annotation.cost["rollouts"] == 8
        assert policy.rollouts == 8
        assert policy.next_steps("Q", [], 2) == ["2 + 2 = 4", "2 + 2 = 4"]
    finally:
        server.shutdown()
        server.server_close()


def test_batched_rollouts_over_prefixes_feed_mc(tiny_lm):
    model, tokenizer = tiny_lm
    policy = TransformersPolicy(model, tokenizer, max_new_tokens=4, do_sample=False)
    requests = [("Q", ["a = 1"]), ("Q", ["a = 1", "b = 2"]), ("Other question", [])]
    batched = policy.rollout_many(requests, 2, batch_size=2)
    assert [len(b) for b in batched] == [2, 2, 2] and policy.rollouts == 6
    single = TransformersPolicy(model, tokenizer, max_new_tokens=4, do_sample=False, reuse_prefix_cache=False)
    assert batched[2] == single.rollout("Other question", [], 2)  # the longest-padded one matches
    record = StepRecord("Q", ["a = 1", "b = 2"], [None, None], reference="7")
    annotation = MonteCarloAnnotator(policy, n=3).annotate(record)
    assert annotation.cost["rollouts"] == 6 and annotation.labels == [0.0, 0.0]  # random weights never say 7


def test_generation_runs_in_eval_mode_and_gives_the_mode_back(tiny_lm):
    """Rollouts, batched rollouts, next steps and the judge's generation leave a training model training."""
    from workbench.prm import TransformersJudge

    _, tokenizer = tiny_lm
    torch.manual_seed(1)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=tokenizer.vocab_size, n_embd=32, n_layer=2, n_head=2,
                                       n_positions=256, eos_token_id=tokenizer.sep_token_id)).train()
    seen = []
    model.transformer.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    policy = TransformersPolicy(model, tokenizer, max_new_tokens=3, do_sample=False)
    assert model.training  # building a policy does not touch the mode
    policy.rollout("Q", ["x = 1"], 2)
    policy.rollout_many([("Q", []), ("Q", ["x = 1"])], 2)
    policy.next_steps("Q", [], 1)
    TransformersJudge(model, tokenizer, max_new_tokens=2)(["Is 1 + 1 = 2 right?"])
    assert model.training and seen and not any(seen)
