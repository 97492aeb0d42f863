"""Run untrusted code against trusted tests: bubblewrap isolation, verdicts on our side.

Design (one sandbox = one bubblewrap container holding one pre-forked worker,
``_worker.py``; a pool keeps one per core alive across calls):

* **Unforgeable verdict.** The test's own code (``assert add(1, 2) == 3``) runs
  here, in the trusted process. Names the completion defines become proxies;
  calling one sends the *arguments* to a forked child in the sandbox and
  receives the *result* as plain data (builtin types only, read through the
  base types' methods). The expected values never enter the sandbox, and no
  exit code, stdout line, patched builtin, ``os._exit`` or ``__eq__`` trick
  can turn a test into a pass: only returning the right data can.
* **Isolation** (bubblewrap): new pid/net/ipc/uts namespaces (no network),
  read-only ``/usr`` and interpreter, nothing else of the host's files, a
  size-capped tmpfs ``/tmp``, an empty environment, ``--die-with-parent``.
  Per test: a forked child with its own uid (when we are root), rlimits on
  CPU, address space, processes, file size and open files, a fresh working
  folder, output capped; at the test's end every process of that uid is
  killed and the scratch folders are wiped.
* **Fallback** without bubblewrap (or when it cannot start, e.g. user
  namespaces disabled): the same worker as a bare subprocess with an empty
  environment and the same rlimits; a warning says once what is lost.

Limits of this design: test strings are *trusted* code (they run in this
process, unbounded by the sandbox); each use of a completion's function or
object from a test is one round trip (~0.1-0.3 ms), so a test that calls it
thousands of times pays for it; arguments and results must be plain data or
handles (a test cannot pass its own lambda into the completion); a task cannot
ask for a function named like a builtin (``sum``, ``sorted``), since tests
always see the real builtins. Standard-I/O tests (:class:`IOTest`) run the
completion as a program and compare its printed output here.
"""
from __future__ import annotations

import atexit
import builtins
import json
import os
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import CodeType
from typing import NamedTuple

from workbench.rewards._isolation import (
    NO_BWRAP_WARNING,
    SANDBOX_WORKER,
    WORKER,
    bwrap_command,
    bwrap_path,
    bwrap_problem,
    processes_of_uid,
)
from workbench.rewards._proxy import Handle, solution_names
from workbench.rewards._worker import HEADER, decode, encode, pack

PASS, FAIL, TIMEOUT = "pass", "fail", "timeout"
_warned = threading.Event()


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one test's process (defaults fit typical coding tasks)."""

    memory_bytes: int = 1 << 30  # RLIMIT_AS; numpy alone maps ~300 MB of address space
    processes: int = 32  # RLIMIT_NPROC: enough for multiprocessing demos, stops fork bombs
    file_bytes: int = 16 << 20  # RLIMIT_FSIZE: largest file one write may grow
    open_files: int = 64  # RLIMIT_NOFILE
    output_bytes: int = 4096  # stdout+stderr kept for diagnostics; the rest is drained
    message_bytes: int = 1 << 20  # largest reply a completion may send
    tmpfs_bytes: int = 64 << 20  # size of the sandbox's /tmp (bubblewrap only)


class IOTest(NamedTuple):
    """A standard-I/O test: run the completion as a program on ``stdin``; it passes when it prints ``expected``
    (compared line by line, trailing whitespace and trailing blank lines ignored)."""

    stdin: str
    expected: str


def same_output(output: str, expected: str) -> bool:
    """Line-by-line equality up to trailing whitespace and trailing blank lines."""
    def lines(text):
        return [line.rstrip() for line in text.rstrip().splitlines()]

    return lines(output) == lines(expected)


class TestTimeout(BaseException):
    """The test ran past its timeout (BaseException: a test's ``except Exception`` can't hide it)."""


class CompletionDied(BaseException):
    """The completion's process ended or broke the protocol while a test needed it."""


class SandboxBroken(Exception):
    """The worker itself is gone; the sandbox is restarted for the next test."""


class Sandbox:
    """One long-lived isolated worker; ``run_tests`` is its only entry point."""

    _serial = 0

    def __init__(self, limits: SandboxLimits = SandboxLimits(), *, use_bwrap: bool | None = None):
        self.limits = limits
        Sandbox._serial += 1
        self.uid = 0x30000 + (os.getpid() % 2048) * 64 + Sandbox._serial % 64 if os.geteuid() == 0 else -1
        self.bwrap, problem = None, "bubblewrap (bwrap) is not installed"
        if use_bwrap in (None, True) and bwrap_path():
            problem = bwrap_problem(self.uid >= 0)
            self.bwrap = None if problem else bwrap_path()
        if use_bwrap is True and self.bwrap is None:
            raise RuntimeError(f"use_bwrap=True but {problem}")
        if self.bwrap is None and not _warned.is_set():
            _warned.set()
            warnings.warn(NO_BWRAP_WARNING.format(problem=problem), RuntimeWarning, stacklevel=3)
        self.proc: subprocess.Popen | None = None
        self.host_dir: str | None = None
        self.deadline = 0.0
        self._buffer = b""
        self.test_serial, self.in_test = 0, False

    # ------------------------------------------------------------ process
    def _config(self, root: str, scratch: list[str], pidns: bool) -> dict:
        lim = self.limits
        nproc = lim.processes if self.uid >= 0 else lim.processes + processes_of_uid(os.getuid())
        return {"uid": self.uid, "nproc": nproc, "as_bytes": lim.memory_bytes, "fsize": lim.file_bytes,
                "nofile": lim.open_files, "cpu_s": 1, "out_cap": lim.output_bytes,
                "msg_cap": lim.message_bytes, "code_cap": 64 << 20, "root": root,
                "scratch": scratch, "pidns": pidns,
                # -S skips site's start-up work; completions still import installed packages from here
                "site_packages": [p for p in sys.path if p.endswith("-packages") and os.path.isdir(p)]}

    def _bwrap_command(self) -> list[str]:
        config = self._config("/tmp/workbench", ["/tmp", "/dev/shm"], True)
        return bwrap_command(self.bwrap, self.limits.tmpfs_bytes, as_root=self.uid >= 0) + [
            sys.executable, "-I", "-S", SANDBOX_WORKER, json.dumps(config)]

    def start(self) -> None:
        if self.bwrap:
            cmd, cwd, env = self._bwrap_command(), "/", {}
        else:
            self.host_dir = tempfile.mkdtemp(prefix="workbench-sandbox-")
            os.chmod(self.host_dir, 0o711)
            config = self._config(os.path.join(self.host_dir, "runs"), [], False)
            cmd, cwd = [sys.executable, "-I", "-S", str(WORKER), json.dumps(config)], self.host_dir
            env = {"PATH": "/usr/bin:/bin", "HOME": self.host_dir, "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self._buffer = b""
        self.deadline = time.monotonic() + 30
        self._read()  # {"ready": pid}

    def close(self) -> None:
        self._ending = False
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except OSError:
                pass
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                stream.close()
            self.proc = None
        if self.host_dir:
            shutil.rmtree(self.host_dir, ignore_errors=True)
            self.host_dir = None

    # ------------------------------------------------------------ protocol
    def _send(self, message: dict) -> None:
        try:
            self.proc.stdin.write(pack(message))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise SandboxBroken("the sandbox worker is gone") from exc

    def _read(self) -> dict:
        fd = self.proc.stdout.fileno()
        while True:
            if len(self._buffer) >= HEADER.size:
                (size,) = HEADER.unpack(self._buffer[: HEADER.size])
                if len(self._buffer) >= HEADER.size + size:
                    body, self._buffer = self._buffer[HEADER.size: HEADER.size + size], self._buffer[HEADER.size + size:]
                    return json.loads(body)
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TestTimeout()
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise SandboxBroken("the sandbox worker is gone")
            self._buffer += chunk

    def encode(self, value):
        if isinstance(value, Handle):
            return {"h": value._ref}
        return encode(value)

    def _decode(self, tree):
        return decode(tree, lambda ref: Handle(self, ref))

    def _reply(self, reply: dict):
        if "dead" in reply:
            raise CompletionDied(reply["dead"])
        if "err" in reply:
            name, message = (list(reply["err"]) + ["", ""])[:2]
            kind = getattr(builtins, str(name), None)
            if isinstance(kind, type) and issubclass(kind, Exception) and kind is not AssertionError:
                raise kind(f"(from the completion) {message}")
            raise RuntimeError(f"the completion raised {name}: {message}")
        return self._decode(reply["ok"])

    def request(self, message: dict):
        """One data request to the completion's process; the answer decoded as plain data."""
        self._send(message)
        return self._reply(self._read())

    # ------------------------------------------------------------ tests
    def _finish(self) -> None:
        """Wait for the worker to confirm the last test's processes are dead and its files gone."""
        if self._ending:
            self.deadline = time.monotonic() + 10
            while "ended" not in self._read():
                pass
            self._ending = False

    _ending = False

    def _end_test(self) -> None:
        try:  # confirmed before the next test starts or the call returns (pipelined)
            self._send({"op": "end"})
            self._ending = True
        except SandboxBroken:
            self.close()

    def _program(self, stdin: str, timeout: float) -> tuple[str, str]:
        """Run the loaded code as a program on ``stdin``: ``(status, printed output or error)``."""
        self.deadline = time.monotonic() + timeout
        try:
            self._send({"op": "start", "cpu": int(timeout) + 1, "stdin": stdin})
            reply = self._read()
        except TestTimeout:
            self._end_test()
            return TIMEOUT, ""
        except SandboxBroken:
            self.close()
            return "error", "the sandbox worker died"
        self._end_test()
        if type(reply.get("ok")) is str:
            return "ok", reply["ok"]
        error = reply.get("err") or [reply.get("dead", "malformed reply"), ""]
        return "error", ": ".join(str(e) for e in error)[:600]

    def _run_one(self, test: CodeType | IOTest, timeout: float) -> str:
        """Run one test against a fresh child of the worker (an assert test's code runs here, trusted)."""
        if isinstance(test, IOTest):  # the program's output is data; the comparison is ours
            status, output = self._program(test.stdin, timeout)
            return TIMEOUT if status == TIMEOUT else PASS if status == "ok" and same_output(output, test.expected) else FAIL
        self.deadline = time.monotonic() + timeout
        self.test_serial += 1
        self.in_test, verdict = True, FAIL
        try:
            self._send({"op": "start", "cpu": int(timeout) + 1})
            names = self._reply(self._read())
            scope = {"__builtins__": builtins, "__name__": "test"}
            scope.update(solution_names(names))
            exec(test, scope)
            verdict = PASS
        except TestTimeout:
            verdict = TIMEOUT
        except SandboxBroken:
            self.close()
            return FAIL
        except (Exception, CompletionDied):  # noqa: BLE001 - any failure of the test is a fail
            verdict = FAIL
        finally:
            self.in_test = False
        self._end_test()
        return verdict

    def _ready(self, code: str) -> None:
        """Worker alive (restarted if it died) and holding ``code``."""
        for attempt in (0, 1):
            try:
                self._finish()
                if self.proc is None or self.proc.poll() is not None:
                    self.close()
                    self.start()
                    self._loaded = None
                if self._loaded != code:
                    self.deadline = time.monotonic() + 30
                    self._send({"op": "load", "code": code})
                    self._read()
                    self._loaded = code
                return
            except (SandboxBroken, TestTimeout):
                self.close()
                if attempt:
                    raise

    def _settle(self) -> None:
        try:
            self._finish()
        except (SandboxBroken, TestTimeout):
            self.close()

    def run_tests(self, code: str, tests: list[CodeType | IOTest], timeout: float) -> list[str]:
        """Verdicts (``"pass"``/``"fail"``/``"timeout"``) of ``tests`` (compiled asserts or I/O tests) on ``code``."""
        verdicts = []
        for test in tests:
            self._ready(code)
            verdicts.append(self._run_one(test, timeout))
        self._settle()
        return verdicts

    def run_program(self, code: str, stdin: str, timeout: float) -> tuple[str, str]:
        """``code`` as a program on ``stdin``: ``("ok", output)``, ``("error", message)`` or ``("timeout", "")``."""
        self._ready(code)
        result = self._program(stdin, timeout)
        self._settle()
        return result

    _loaded: str | None = None


class SandboxPool:
    """``size`` sandboxes served by as many threads; reused across calls."""

    def __init__(self, size: int | None = None, limits: SandboxLimits = SandboxLimits(), *, use_bwrap=None):
        # Tests are latency-bound (fork, pipe round trips), so a few sandboxes per core keep them busy.
        self.size = size or max(2, min(16, 4 * (os.cpu_count() or 1)))
        self.sandboxes: queue.Queue[Sandbox] = queue.Queue()
        for _ in range(self.size):
            self.sandboxes.put(Sandbox(limits, use_bwrap=use_bwrap))
        self.executor = ThreadPoolExecutor(self.size, thread_name_prefix="workbench-sandbox")
        atexit.register(self.close)

    def _job(self, method: str, args: tuple):
        sandbox = self.sandboxes.get()
        try:
            return getattr(sandbox, method)(*args)
        finally:
            self.sandboxes.put(sandbox)

    def run(self, jobs: list[tuple[str, list[CodeType | IOTest]]], timeout: float) -> list[list[str]]:
        """Verdict lists, one per ``(code, tests)`` job, run in parallel."""
        futures = [self.executor.submit(self._job, "run_tests", (code, tests, timeout)) for code, tests in jobs]
        return [future.result() for future in futures]

    def run_programs(self, jobs: list[tuple[str, str]], timeout: float) -> list[tuple[str, str]]:
        """``(status, text)`` for each ``(code, stdin)`` job, run in parallel."""
        futures = [self.executor.submit(self._job, "run_program", (code, stdin, timeout)) for code, stdin in jobs]
        return [future.result() for future in futures]

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        while not self.sandboxes.empty():
            self.sandboxes.get().close()


_pools: dict = {}
_pools_lock = threading.Lock()


def get_pool(limits: SandboxLimits = SandboxLimits(), *, workers: int | None = None, use_bwrap=None) -> SandboxPool:
    """The shared pool for these settings (created on first use)."""
    key = (os.getpid(), limits, workers, use_bwrap)  # a forked process never shares its parent's pipes
    with _pools_lock:
        if key not in _pools:
            _pools[key] = SandboxPool(workers, limits, use_bwrap=use_bwrap)
        return _pools[key]


__all__ = ["IOTest", "same_output", "Sandbox", "SandboxPool", "SandboxLimits", "get_pool", "bwrap_path", "PASS", "FAIL", "TIMEOUT",
           "NO_BWRAP_WARNING"]
