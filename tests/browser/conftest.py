"""A real JupyterLab on 127.0.0.1 (token-protected) and Debian's headless Chromium.

Chromium comes from the Debian package (``/usr/bin/chromium``), driven by the
``playwright`` Python package with ``executable_path``; ``playwright install``
(which downloads a browser) is never run. Everything skips when either is absent.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path():
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        pytest.skip("Debian chromium is not installed (scripts/system_deps.sh installs it)")
    pytest.importorskip("playwright.sync_api")
    return path


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory, chromium_path):
    """(base_url, token, root_dir) of a JupyterLab server torn down after the module."""
    root = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(16)
    log = (root / "server.log").open("w")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".jupyter"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
               HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly"] + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(proc, f"{base}/api/status?token={token}", root / "server.log", "JupyterLab")
    yield base, token, root
    _kill(proc)
    log.close()


def _wait_until_up(proc, url: str, log_path: Path, name: str, timeout: float = 90) -> None:
    """Poll ``url`` until the server answers (any HTTP status); fail with its log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # the server answers: it is up
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                _kill(proc)
                pytest.fail(f"{name} did not start:\n" + Path(log_path).read_text()[-3000:])
            time.sleep(0.5)


def _kill(proc):
    """Stop the server and its kernels (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def page(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        page = context.new_page()
        yield page
        context.close()
        browser.close()


@pytest.fixture(scope="session")
def server_helpers():
    """(free_port, kill, wait_until_up) for tests that start their own server."""
    return _free_port, _kill, _wait_until_up


def _wait_for_kernel(base, token, timeout=90):
    """Wait until the notebook's kernel is started, connected to the page and idle."""
    deadline = time.monotonic() + timeout
    kernels, last_error = [], None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as response:
                kernels = json.load(response)
        except (urllib.error.HTTPError, urllib.error.URLError, TimeoutError) as error:
            # jupyter_server answers 500 to a kernel listing that races a kernel's start
            # (its last_activity is still None); the next poll succeeds.
            last_error = error
            time.sleep(0.5)
            continue
        if any(k.get("connections", 0) >= 1 and k.get("execution_state") == "idle" for k in kernels):
            return
        time.sleep(0.5)
    raise AssertionError(f"no kernel became ready in {timeout}s: {kernels}; last error: {last_error!r}")


@pytest.fixture(scope="session")
def kernel_ready():
    """kernel_ready(base, token, timeout=90): block until the page's kernel is idle."""
    return _wait_for_kernel

