import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from workbench.prm import (
    JudgeAnnotator,
    OpenAIJudge,
    SimulatedJudge,
    SimulatedPolicy,
    StepRecord,
    TransformersJudge,
    first_error_accuracy,
    make_problems,
    parse_verdict,
)
from workbench.prm.judge import format_judge_prompt


@pytest.mark.parametrize("reply, expected, parsed", [
    ("Reasoning... so the answer is \\boxed{3}.", 2, True),
    ("\\boxed{0}", None, True),
    ("\\boxed{-1}", None, True),
    ("The first error is in step 2 where the sum is wrong.", 1, True),
    ("The earliest incorrect paragraph is paragraph 4.", 3, True),
    ("Step 5 is incorrect because 3*4 is 12.", 4, True),
    ('{"first_error": 1, "reason": "bad"}', 0, True),
    ('{"first_error": null}', None, True),
    ("There is a mistake in step 3.", 2, True),
    ("All steps are correct.", None, True),
    ("No errors found.", None, True),
    ("\\boxed{9}", None, False),   # out of range: unreadable, not "no error"
    ("I am not sure.", None, False),
])
def test_parse_verdict(reply, expected, parsed):
    verdict = parse_verdict(reply, n_steps=5)
    assert verdict.first_error == expected and verdict.parsed is parsed


class _Stub(BaseHTTPRequestHandler):
    requests: list = []
    fail_first = 0

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Stub.requests.append((self.path, body, self.headers.get("Authorization")))
        if _Stub.fail_first > 0:
            _Stub.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        prompt = body["messages"][0]["content"]
        wrong = [line for line in prompt.splitlines() if line.startswith("Step") and "= 99" in line]
        content = f"Step {wrong[0].split(':')[0].split()[1]} is wrong." if wrong else "All steps are correct."
        reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_url():
    server = HTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Stub.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_backend_against_a_local_stub(stub_url):
    records = [StepRecord("Q", ["1 + 1 = 2", "2 * 3 = 99", "99 + 1 = 100"], [None] * 3),
               StepRecord("Q", ["1 + 1 = 2"], [None])]
    _Stub.fail_first = 1  # one 503 first: retried
    judge = JudgeAnnotator(OpenAIJudge(stub_url, "judge-model", api_key="k", retries=2))
    first, second = judge.annotate_many(records)
    assert first.first_error == 1 and first.labels == [1.0, 0.0, None]
    assert second.first_error is None and second.labels == [1.0]
    assert first.cost["calls"] == 1
    path, body, auth = _Stub.requests[-1]
    assert path == "/v1/chat/completions" and body["model"] == "judge-model" and auth == "Bearer k"
    assert len(_Stub.requests) == 3


def test_openai_backend_gives_up_with_a_clear_error(stub_url):
    _Stub.fail_first = 5
    with pytest.raises(RuntimeError, match="HTTP 503"):
        OpenAIJudge(stub_url, "m", retries=1)(["hello"])
    _Stub.fail_first = 0
    with pytest.raises(RuntimeError, match="unreachable"):
        OpenAIJudge("http://127.0.0.1:9/v1", "m", retries=0, timeout=2)(["hello"])


def test_simulated_judge_has_its_accuracy():
    problems = make_problems(150, seed=21)
    policy = SimulatedPolicy(problems, error_rate=0.1, seed=22)
    records = [policy.sample(p.question) for p in problems]
    truth = [r.first_error for r in records]
    perfect = JudgeAnnotator(SimulatedJudge(policy, accuracy=1.0)).annotate_many(records)
    assert first_error_accuracy([a.first_error for a in perfect], truth) == 1.0
    noisy = JudgeAnnotator(SimulatedJudge(policy, accuracy=0.6, seed=1)).annotate_many(records)
    accuracy = first_error_accuracy([a.first_error for a in noisy], truth)
    assert 0.5 < accuracy < 0.8


def test_transformers_judge_runs_a_local_model():
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    from workbench.paths import default_backbone

    tokenizer = AutoTokenizer.from_pretrained(default_backbone())
    model = GPT2LMHeadModel(GPT2Config(vocab_size=tokenizer.vocab_size, n_embd=32, n_layer=1, n_head=2,
                                       n_positions=512, eos_token_id=tokenizer.sep_token_id))
    record = StepRecord("What is 1+1?", ["1 + 1 = 2"], [None])
    backend = TransformersJudge(model, tokenizer, max_new_tokens=5, batch_size=2)
    replies = backend([format_judge_prompt(record)] * 3)
    assert len(replies) == 3 and all(isinstance(r, str) for r in replies)
    annotation = JudgeAnnotator(backend).annotate(record)  # random weights: most likely unreadable
    assert annotation.cost["calls"] == 1 and len(annotation.labels) == 1
