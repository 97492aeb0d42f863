"""Isolation settings: the bubblewrap command line, a start-up probe, and what is lost without it."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).with_name("_worker.py")
SANDBOX_WORKER = "/opt/workbench/worker.py"  # where the worker file is mounted inside the sandbox
NO_BWRAP_WARNING = (
    "{problem}: code rewards run WITHOUT filesystem isolation "
    "(untrusted code can read every file this user can and write wherever this user can), "
    "WITHOUT network isolation (it can open sockets), and WITHOUT a pid namespace "
    "(a process that leaves its session may outlive the run unless we run as root). "
    "Still in force: verdicts computed outside the untrusted process, rlimits (CPU, memory, "
    "processes, file size, open files), an empty environment, a fresh working folder and "
    "per-test timeouts. Install the Debian package `bubblewrap` for full isolation."
)


def bwrap_path() -> str | None:
    """Path of the bubblewrap binary, or None."""
    return shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)


def processes_of_uid(uid: int) -> int:
    """How many processes ``uid`` runs now (RLIMIT_NPROC counts them all, not just ours)."""
    count = 0
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and os.stat(f"/proc/{name}").st_uid == uid:
                count += 1
        except OSError:
            pass
    return count


def bwrap_command(bwrap: str, tmpfs_bytes: int, *, as_root: bool) -> list[str]:
    """bubblewrap's arguments: read-only system and interpreter, tmpfs /tmp, new namespaces, empty env.

    As root there is no user namespace (so the worker can give each test its
    own uid, which makes RLIMIT_NPROC count and ``kill(-1)`` reach only that
    test's processes) and every capability is dropped but the few the worker
    needs to switch uid and clean up.
    """
    cmd = [bwrap, "--die-with-parent", "--new-session", "--clearenv",
           "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
           "--size", str(tmpfs_bytes), "--tmpfs", "/tmp",
           "--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", "/opt/workbench",
           "--ro-bind", str(WORKER), SANDBOX_WORKER]
    for top in ("/bin", "/lib", "/lib32", "/lib64", "/sbin"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    made = set()
    for prefix in dict.fromkeys([sys.base_prefix, sys.prefix, str(Path(os.path.realpath(sys.executable)).parents[1])]):
        if prefix.startswith("/usr/"):
            continue
        for parent in reversed(Path(prefix).parents[:-1]):  # bwrap makes parents 0700; the test's uid must pass
            if parent not in made:
                made.add(parent)
                cmd += ["--perms", "0755", "--dir", str(parent)]
        cmd += ["--ro-bind", prefix, prefix]
    if as_root:
        cmd += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL"]
        for cap in ("SETUID", "SETGID", "KILL", "CHOWN", "DAC_OVERRIDE", "FOWNER"):
            cmd += ["--cap-add", f"CAP_{cap}"]
    else:
        cmd += ["--unshare-all"]
    return cmd


@functools.lru_cache(maxsize=2)
def bwrap_problem(as_root: bool) -> str | None:
    """None when bubblewrap can start our sandbox here; else why not (e.g. user namespaces disabled)."""
    bwrap = bwrap_path()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    cmd = bwrap_command(bwrap, 1 << 20, as_root=as_root) + [sys.executable, "-I", "-S", "-c", "pass"]
    try:
        result = subprocess.run(cmd, capture_output=True, timeout=30, env={})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap is installed but cannot start a sandbox ({exc})"
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return f"bubblewrap is installed but cannot start a sandbox ({reason[0]})"
    return None
