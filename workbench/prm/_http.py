"""POST JSON to an OpenAI-compatible endpoint, with a timeout and bounded retries.

The one HTTP client of the PRM judge (``/chat/completions``) and policy
(``/completions``). Standard library only (``urllib``): a served vLLM, TGI,
llama.cpp or Ollama needs no client package.

What is retried, and why: a connection that fails or times out, 429 (the
server asks us to slow down) and 408/5xx (a server restarting or overloaded
answers these for a moment). Those are transient on a GPU box serving many
callers. Anything else (400 bad request, 401 wrong key, 404 wrong path) will
fail the same way every time, so it is raised at once with the start of the
server's reply, which usually says what is wrong. Waits grow as
``backoff * 2**attempt`` (0.5 s, 1 s, 2 s ... by default); a 429's
``Retry-After`` in seconds is honoured up to ``MAX_WAIT``. When it gives up the
error names the URL, the last failure and the number of attempts.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_WAIT = 30.0  # seconds: a longer Retry-After is better raised than slept through


def _wait(attempt: int, backoff: float, retry_after: str | None) -> float:
    wait = backoff * 2 ** attempt
    if retry_after is not None and retry_after.strip().isdigit():
        wait = max(wait, float(retry_after))
    return min(wait, MAX_WAIT)


def post_json(url: str, payload: dict, *, api_key: str | None = None, timeout: float = 60.0,
              retries: int = 2, backoff: float = 0.5, name: str = "endpoint") -> dict:
    """The decoded JSON reply to ``payload`` POSTed to ``url``.

    At most ``1 + retries`` attempts, each with ``timeout`` seconds; ``api_key``
    is sent as ``Authorization: Bearer``. ``name`` opens every error message
    ("judge endpoint http://...: HTTP 503 after 3 attempts"). Raises
    RuntimeError when it gives up, on a status that retrying cannot fix, and on
    a reply that is not JSON.
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    data = json.dumps(payload).encode()
    attempts = retries + 1
    for attempt in range(attempts):
        last = attempt == attempts - 1
        request = urllib.request.Request(url, data, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:  # before URLError: it is a subclass
            if error.code not in RETRY_STATUS:
                detail = error.read().decode(errors="replace")[:200]
                raise RuntimeError(f"{name} {url}: HTTP {error.code}: {detail}") from error
            if last:
                raise RuntimeError(f"{name} {url}: HTTP {error.code} after {attempts} attempts") from error
            time.sleep(_wait(attempt, backoff, error.headers.get("Retry-After")))
            continue
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            if last:
                reason = getattr(error, "reason", error)
                raise RuntimeError(f"{name} {url} unreachable after {attempts} attempts: {reason}") from error
            time.sleep(_wait(attempt, backoff, None))
            continue
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise RuntimeError(f"{name} {url}: the reply is not JSON: {text[:200]!r}") from None
    raise AssertionError("unreachable")  # the last attempt returns or raises
