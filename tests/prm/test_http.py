"""The one HTTP helper of the judge and the policy, against a local stub server."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from workbench.prm._http import post_json
from workbench.prm.policy import HTTPPolicy


class _Flaky(BaseHTTPRequestHandler):
    """Fails the first ``failures`` requests with ``status``, then echoes the payload back."""

    failures = 0
    status = 503
    seen: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Flaky.seen.append((self.path, body, self.headers.get("Authorization")))
        if _Flaky.failures > 0:
            _Flaky.failures -= 1
            message = b'{"error": "model not loaded"}'
            self.send_response(_Flaky.status)
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        n = body.get("n", 1)
        data = json.dumps({"echo": body, "choices": [{"index": i, "text": f" step {i}\n"} for i in range(n)]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_url():
    server = HTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Flaky.seen, _Flaky.failures, _Flaky.status = [], 0, 503
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_fails_twice_then_answers(flaky_url):
    _Flaky.failures = 2
    reply = post_json(flaky_url + "/chat/completions", {"model": "m"}, api_key="k", retries=2, backoff=0.01)
    assert reply["echo"] == {"model": "m"}
    assert len(_Flaky.seen) == 3  # two 503s, then the answer
    assert all(seen == ("/v1/chat/completions", {"model": "m"}, "Bearer k") for seen in _Flaky.seen)


def test_429_is_retried_too(flaky_url):
    _Flaky.failures, _Flaky.status = 1, 429
    assert post_json(flaky_url, {"model": "m"}, retries=1, backoff=0.01)["echo"] == {"model": "m"}
    assert len(_Flaky.seen) == 2


def test_gives_up_after_the_retries_naming_the_url(flaky_url):
    _Flaky.failures = 5
    with pytest.raises(RuntimeError, match=rf"judge endpoint {flaky_url}: HTTP 503 after 3 attempts"):
        post_json(flaky_url, {}, retries=2, backoff=0.01, name="judge endpoint")
    assert len(_Flaky.seen) == 3  # bounded: 1 + retries


def test_a_status_that_retrying_cannot_fix_is_raised_at_once(flaky_url):
    _Flaky.failures, _Flaky.status = 5, 404
    with pytest.raises(RuntimeError, match="HTTP 404: .*model not loaded"):
        post_json(flaky_url, {}, retries=3, backoff=0.01)
    assert len(_Flaky.seen) == 1


def test_unreachable_names_the_url_and_the_attempts():
    url = "http://127.0.0.1:9/v1/completions"  # the discard port: nothing listens
    with pytest.raises(RuntimeError, match=rf"{url} unreachable after 2 attempts"):
        post_json(url, {}, retries=1, backoff=0.01, timeout=2)
    with pytest.raises(ValueError, match="retries"):
        post_json(url, {}, retries=-1)


def test_http_policy_retries_through_the_helper_with_growing_waits(flaky_url, monkeypatch):
    waits = []
    monkeypatch.setattr("workbench.prm._http.time.sleep", waits.append)
    _Flaky.failures = 2
    policy = HTTPPolicy(flaky_url, "m", retries=2)
    assert policy.rollout("Q", [], 2) == [" step 0\n", " step 1\n"]
    assert len(_Flaky.seen) == 3 and _Flaky.seen[-1][0] == "/v1/completions"
    assert waits == [0.5, 1.0]  # backoff * 2**attempt with the default backoff of 0.5 s


def test_retry_after_is_honoured_up_to_a_cap():
    from workbench.prm._http import MAX_WAIT, _wait

    assert _wait(0, 0.5, "3") == 3.0 and _wait(2, 0.5, "soon") == 2.0 and _wait(0, 0.5, "3600") == MAX_WAIT
