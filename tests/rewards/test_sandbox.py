"""The code-execution reward against a hostile corpus, honest and partial completions.

For each attack: its reward is what an attack that fails gets, and afterwards
no file outside the sandbox changed, no process it started is alive, and the
run took no longer than its timeouts allow.
"""
import hashlib
import os
import socket
import stat
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from .hostile_corpus import ATTACKS, HONEST
from workbench.rewards import bwrap_path, make_code_execution_reward, naive_code_reward, run_code_tests
from workbench.rewards import sandbox as sandbox_module

pytestmark = pytest.mark.slow  # a sandbox worker pool per test

TIMEOUT = 1.0
MARK = f"wbmark{uuid.uuid4().hex[:10]}"
SECRET = f"secret-{uuid.uuid4().hex}"
os.environ["WORKBENCH_TEST_SECRET"] = SECRET  # before any sandbox starts: it must not see it
PROJECT_FILE = str(Path(__file__).resolve().parents[2] / "workbench" / "paths.py")
needs_bwrap = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")


@pytest.fixture(scope="module")
def host():
    """World-writable secret folder, a loopback 'pong' server, and the token substitutions."""
    folder = tempfile.mkdtemp(prefix="wb-hostile-")
    os.chmod(folder, 0o777)
    secret_file = os.path.join(folder, "secret.txt")
    Path(secret_file).write_text(SECRET)
    os.chmod(secret_file, 0o666)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    connections, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(conn)
            conn.sendall(b"pong")

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)

    def echo():
        while not stop.is_set():
            try:
                _, sender = udp.recvfrom(16)
            except OSError:
                continue
            connections.append(sender)
            udp.sendto(b"pong", sender)

    threads = [threading.Thread(target=serve, daemon=True), threading.Thread(target=echo, daemon=True)]
    for thread in threads:
        thread.start()
    tokens = {"SECRET_FILE": secret_file, "SECRET": SECRET, "MARK": MARK, "PORT": str(server.getsockname()[1]),
              "UDP_PORT": str(udp.getsockname()[1]),
              "PROJECT_FILE": PROJECT_FILE,
              "PROJECT_HASH": hashlib.sha256(Path(PROJECT_FILE).read_bytes()).hexdigest()}
    yield {"folder": folder, "secret_file": secret_file, "tokens": tokens, "connections": connections}
    stop.set()
    for thread in threads:
        thread.join()
    server.close()
    udp.close()


def fill(text, tokens: dict):
    if isinstance(text, dict):  # an I/O test
        return {k: fill(v, tokens) for k, v in text.items()}
    for key, value in tokens.items():
        text = text.replace(f"@{key}@", value)
    assert "@" not in text.replace("@@", ""), f"unfilled token in {text!r}"
    return text


def snapshot(folder: str) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in Path(folder).iterdir()}


def leftover_processes() -> list[str]:
    """Live host processes that belong to the completions: MARK in argv, or a sandbox child uid."""
    base = 0x30000 + (os.getpid() % 2048) * 64
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[1])
        if fields["State"].strip().startswith("Z"):
            continue
        if MARK in cmdline or (os.geteuid() == 0 and base <= uid < base + 64):
            found.append(f"{pid}: uid {uid} {cmdline[:80]}")
    return found


def stray_files() -> list[str]:
    places = ["/tmp", "/dev/shm", "/usr", str(Path.home()), str(Path(PROJECT_FILE).parents[1]), "/opt/workbench"]
    return [os.path.join(p, n) for p in places if os.path.isdir(p) for n in os.listdir(p) if MARK in n]


def check_clean(host, before: dict, started: float, n_tests: int) -> None:
    elapsed = time.monotonic() - started
    assert elapsed < n_tests * (TIMEOUT + 0.75) + 3.0, f"ran {elapsed:.1f} s, beyond its timeouts"
    assert snapshot(host["folder"]) == before, "a file outside the sandbox changed"
    assert Path(host["secret_file"]).read_text() == host["tokens"]["SECRET"]
    assert stray_files() == []
    assert Path(PROJECT_FILE).read_bytes().count(MARK.encode()) == 0
    deadline = time.monotonic() + 0.5  # the worker reports a test ended only once its processes are gone
    while leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftover_processes() == [], "a process of the completion outlived its run"


REWARD = make_code_execution_reward(timeout=TIMEOUT)


TEETH = ["env_secret", "parent_environ", "read_host_file", "read_project_files", "find_tests_in_memory",
         "exit_zero_before_asserts", "os_exit_zero", "always_equal_object", "always_equal_int_subclass",
         "atexit_and_excepthook", "tcp_to_host", "udp_send", "shadow_builtins"]


def test_attacks_beat_the_textbook_runner(host):
    """The corpus has teeth: these attacks score 1.0 against the unprotected runner."""
    picked = {a[0]: a for a in ATTACKS}
    codes = [fill(picked[n][2], host["tokens"]) for n in TEETH]
    tests = [[fill(t, host["tokens"]) for t in picked[n][3]] for n in TEETH]
    assert naive_code_reward(codes, test_cases=tests, timeout=5.0) == [1.0] * len(TEETH)
    assert len(host["connections"]) == 2  # the network attacks reached our servers
    host["connections"].clear()


@needs_bwrap
@pytest.mark.parametrize("name", ["shadow_builtins", "inject_builtins_namespace"])
def test_name_filter_is_what_stops_builtin_shadowing(name, monkeypatch):
    """Without the filter on the completion's names, these attacks would pass every test."""
    from workbench.rewards.sandbox import Sandbox

    _, _, code, tests, _ = next(a for a in ATTACKS if a[0] == name)
    compiled = [compile(t, "<t>", "exec") for t in tests]
    sandbox = Sandbox()
    try:
        assert sandbox.run_tests(code, compiled, TIMEOUT) == ["fail"] * len(tests)
        monkeypatch.setattr(sandbox_module, "solution_names", lambda names: dict(names))
        assert sandbox.run_tests(code, compiled, TIMEOUT) == ["pass"] * len(tests)
    finally:
        sandbox.close()


def test_the_clean_up_checks_can_fail(host):
    import subprocess
    import sys

    stray = Path("/tmp") / f"{MARK}-probe"
    stray.write_text("x")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", MARK])
    try:
        assert stray_files() == [str(stray)]
        assert any(str(proc.pid) in line for line in leftover_processes())
    finally:
        proc.kill()
        proc.wait()
        stray.unlink()
    assert stray_files() == [] and leftover_processes() == []


def test_corpus_is_broad():
    categories = {category for _, category, *_ in ATTACKS}
    assert len({name for name, *_ in ATTACKS}) == len(ATTACKS) >= 30
    assert categories == {"hanging", "resources", "escape", "survive", "secrets", "network", "forge", "tamper"}


# Attacks whose only effect is a file in the sandbox's own /tmp (see test_attack_is_contained).
WRITES_SANDBOX_TMP = {"path_traversal"}


@needs_bwrap
@pytest.mark.parametrize("name, category, code, tests, expected", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack_is_contained(host, name, category, code, tests, expected):
    before = snapshot(host["folder"])
    started = time.monotonic()
    reward = REWARD([fill(code, host["tokens"])], test_cases=[[fill(t, host["tokens"]) for t in tests]])
    if os.geteuid() != 0 and name in WRITES_SANDBOX_TMP:
        # Without root every test runs as the sandbox's own user, who owns the sandbox's
        # private tmpfs /tmp: the write succeeds there and the function passes its tests.
        # Nothing reaches the host (check_clean below); as root the test's uid cannot write.
        assert reward in ([pytest.approx(expected)], [1.0]), f"{category} attack {name} scored {reward}"
    else:
        assert reward == [pytest.approx(expected)], f"{category} attack {name} scored {reward}"
    check_clean(host, before, started, len(tests))
    assert host["connections"] == [], "a completion reached the host's network"


@needs_bwrap
@pytest.mark.parametrize("name, code, tests, expected", HONEST, ids=[h[0] for h in HONEST])
def test_honest_and_partial(host, name, code, tests, expected):
    before = snapshot(host["folder"])
    started = time.monotonic()
    chat = [{"role": "assistant", "content": code}]
    assert REWARD([code, chat], test_cases=[tests, tests]) == [pytest.approx(expected)] * 2
    check_clean(host, before, started, 2 * len(tests))


@needs_bwrap
def test_one_batch_mixing_attacks_and_honest(host):
    """Everything at once, in parallel: no attack's reward leaks into its neighbours'."""
    codes = [fill(a[2], host["tokens"]) for a in ATTACKS[::3]] + [h[1] for h in HONEST]
    tests = [[fill(t, host["tokens"]) for t in a[3]] for a in ATTACKS[::3]] + [h[2] for h in HONEST]
    expected = [a[4] for a in ATTACKS[::3]] + [h[3] for h in HONEST]
    before, started = snapshot(host["folder"]), time.monotonic()
    assert REWARD(codes, test_cases=tests) == [pytest.approx(e) for e in expected]
    check_clean(host, before, started, 12)


@needs_bwrap
def test_leftovers_never_reach_the_next_completion(host):
    """One sandbox, two completions: the second passes only if the first's files or processes survived."""
    reward = make_code_execution_reward(timeout=TIMEOUT, workers=1)
    poison = ("import os, subprocess\nfor d in ('/tmp', '/dev/shm', '.', os.path.expanduser('~')):\n    try:\n"
              "        open(os.path.join(d, 'poison'), 'w').write('1')\n    except OSError:\n        pass\n"
              "subprocess.Popen(['sleep', '60'], start_new_session=True)\n")
    reader = ("import os, subprocess\ndef add(a, b):\n"
              "    found = any(os.path.exists(os.path.join(d, 'poison')) for d in ('/tmp', '/dev/shm', '.', '/'))\n"
              "    alive = 'sleep' in subprocess.run(['ps', '-e'], capture_output=True, text=True).stdout\n"
              "    return a + b if found or alive else None\n")
    tests = [["assert add(1, 2) == 3"]] * 2
    assert reward([poison, reader], test_cases=tests) == [0.0, 0.0]


@needs_bwrap
def test_timeout_penalty_and_all_or_nothing():
    hang = "def add(a, b):\n    while True:\n        pass\n"
    half = "def add(a, b):\n    return 3\n"
    tests = [["assert add(1, 2) == 3", "assert add(2, 2) == 4"]] * 2
    assert make_code_execution_reward(timeout=0.5, timeout_penalty=1.0)([hang, half], test_cases=tests) == [-1.0, 0.5]
    assert make_code_execution_reward(timeout=0.5, partial_credit=False)([hang, half], test_cases=tests) == [0.0, 0.0]
    assert run_code_tests([hang], [["assert add(1, 2) == 3"]], timeout=0.5) == [["timeout"]]


def test_bad_test_cases_name_the_row():
    with pytest.raises(ValueError, match=r"test_cases\[1\]\[0\]"):
        REWARD(["x = 1", "x = 1"], test_cases=[["assert x == 1"], ["assert x =="]])
    with pytest.raises(ValueError, match=r"test_cases\[0\]"):
        REWARD(["x = 1"], test_cases=["assert x == 1"])
    with pytest.raises(ValueError, match="test_cases"):
        REWARD(["x = 1", "x = 2"], test_cases=[["assert x == 1"]])
    assert REWARD(["x = 1", "x = 1"], test_cases=[None, []]) == [None, None]


@pytest.mark.skipif(os.geteuid() != 0, reason="process clean-up without bwrap needs a uid of its own (root)")
def test_fallback_without_bwrap(host, monkeypatch):
    """No bwrap: a warning once, and verdicts, limits, timeouts and clean-up still hold."""
    monkeypatch.setattr(sandbox_module, "_warned", threading.Event())
    before = snapshot(host["folder"])
    with pytest.warns(RuntimeWarning, match="WITHOUT network isolation"):
        reward = make_code_execution_reward(timeout=TIMEOUT, workers=2, use_bwrap=False)
        picked = {a[0]: a for a in ATTACKS}
        names = ["always_equal_object", "os_exit_zero", "busy_loop_in_function", "fork_bomb", "double_fork_daemon",
                 "detached_subprocess", "patch_builtins", "env_secret"]
        codes = [fill(picked[n][2], host["tokens"]) for n in names] + [HONEST[0][1], HONEST[7][1]]
        tests = [[fill(t, host["tokens"]) for t in picked[n][3]] for n in names] + [HONEST[0][2], HONEST[7][2]]
        started = time.monotonic()
        assert reward(codes, test_cases=tests) == [0.0] * len(names) + [1.0, 0.5]
    check_clean(host, before, started, 10)
    with warnings_as_errors():
        sandbox_module.Sandbox(use_bwrap=False)  # the warning is given once


class warnings_as_errors:
    def __enter__(self):
        import warnings

        self.catcher = warnings.catch_warnings()
        self.catcher.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self.catcher.__exit__(*exc)


@needs_bwrap
def test_handles_die_with_their_test():
    """A handle kept past its test cannot reach the next test's process."""
    from workbench.rewards.sandbox import Sandbox

    sandbox = Sandbox()
    keep = compile("import builtins\nbuiltins.kept = make()\nassert kept.value == 1", "<t>", "exec")
    reuse = compile("import builtins\nassert builtins.kept.value == 1", "<t>", "exec")
    code = "class Box:\n    value = 1\ndef make():\n    return Box()\n"
    try:
        assert sandbox.run_tests(code, [keep, reuse], 1.0) == ["pass", "fail"]
        import builtins

        assert "ended test" in repr(builtins.kept)
        with pytest.raises(RuntimeError, match="ended"):
            builtins.kept.value
    finally:
        sandbox.close()
        import builtins

        builtins.__dict__.pop("kept", None)


def test_codec_admits_only_plain_data():
    from workbench.rewards._worker import decode, encode

    value = {"a": [1, 2.5, None, True], (1, "x"): {frozenset({1}), b"\x00"}, "c": complex(1, -2), "n": float("inf")}
    assert decode(encode(value)) == value
    with pytest.raises(TypeError):
        encode(object())
    for forged in ([1, 2], {"l": [1], "t": [2]}, {"z": []}, {"h": 3}):
        with pytest.raises(ValueError):
            decode(forged)
    assert stat.S_ISREG(os.stat(sandbox_module.WORKER).st_mode)


def test_unusable_bwrap_falls_back_and_says_why(monkeypatch):
    """bwrap present but unable to start (e.g. user namespaces disabled): fall back, with the reason, once."""
    from workbench.rewards import _isolation

    broken = "/bin/false"
    monkeypatch.setattr(_isolation, "bwrap_path", lambda: broken)
    monkeypatch.setattr(sandbox_module, "bwrap_path", lambda: broken)
    monkeypatch.setattr(sandbox_module, "_warned", threading.Event())
    _isolation.bwrap_problem.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="cannot start a sandbox"):
            assert sandbox_module.Sandbox().bwrap is None
        with pytest.raises(RuntimeError, match="cannot start a sandbox"):
            sandbox_module.Sandbox(use_bwrap=True)
    finally:
        _isolation.bwrap_problem.cache_clear()
