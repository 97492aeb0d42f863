"""The process that lives inside the sandbox: a pre-forked server of untrusted code.

Runs as ``python -I -S _worker.py CONFIG_JSON`` inside bubblewrap (or, as a fallback, a bare subprocess). It never executes the
completion itself: for each test the host asks for, it forks a child that
drops privileges, sets resource limits, ``exec``s the completion in a fresh
namespace and then answers the host's *data* requests ("call ``add`` with
``(1, 2)``", "``len`` of handle 3") over a socket. The worker relays those
frames, captures at most ``OUT_CAP`` bytes of the child's output, and on the
host's ``end`` kills the child and every process it started.

The verdict is never computed here: the host evaluates each test's own code
and only receives plain data (the codec below admits ``None``, ``bool``,
``int``, ``float``, ``str``, ``bytes``, ``complex``, ``list``, ``tuple``,
``dict``, ``set``, ``frozenset`` and opaque handles), so nothing the
completion does in this process (``os._exit``, patched builtins, an object
whose ``__eq__`` is always true, fake output) can turn a test into a pass.

This file imports only the standard library: it runs before any of
``workbench`` is importable inside the sandbox, and the host imports its codec.
"""
from __future__ import annotations

import base64
import json
import math
import os
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import time

HEADER = struct.Struct(">I")
MAX_DEPTH = 64


# ---------------------------------------------------------------- framing
def pack(obj) -> bytes:
    body = json.dumps(obj, separators=(",", ":")).encode()
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, cap: int) -> bytes:
    (size,) = HEADER.unpack(read_exact(fd, HEADER.size))
    if size > cap:
        raise ValueError(f"frame of {size} bytes exceeds the cap of {cap}")
    return read_exact(fd, size)


# ---------------------------------------------------------------- codec
def encode(value, handles: dict | None = None, depth: int = 0):
    """Plain data -> JSON-able tagged tree; anything else -> an opaque handle.

    Builtin subclasses are read through the *base* type's methods
    (``dict.items(v)``, ``int.__int__(v)``), so an overridden ``__eq__`` or
    ``__iter__`` never reaches the host: only the stored data does.
    """
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    d = depth + 1
    if value is None or type(value) is bool:
        return value
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        f = float.__float__(value)
        return f if math.isfinite(f) else {"x": repr(f)}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        return {"b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, complex):
        return {"c": [encode(complex.__complex__(value).real), encode(complex.__complex__(value).imag)]}
    if isinstance(value, tuple):
        return {"t": [encode(v, handles, d) for v in tuple.__iter__(value)]}
    if isinstance(value, list):
        return {"l": [encode(v, handles, d) for v in list.__iter__(value)]}
    if isinstance(value, dict):
        return {"d": [[encode(k, handles, d), encode(v, handles, d)] for k, v in dict.items(value)]}
    if isinstance(value, frozenset):
        return {"f": [encode(v, handles, d) for v in frozenset.__iter__(value)]}
    if isinstance(value, set):
        return {"s": [encode(v, handles, d) for v in set.__iter__(value)]}
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return encode(value.item(), handles, depth)  # numpy scalars -> Python numbers
    if handles is None:
        raise TypeError(f"cannot encode {type(value).__name__}")
    handles[id(value)] = value
    return {"h": id(value)}


def decode(tree, make_handle=None, depth: int = 0):
    """Inverse of :func:`encode`, trusted side: builds only builtin types."""
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is not dict or len(tree) != 1:
        raise ValueError(f"malformed value {str(tree)[:80]!r}")
    (tag, body), d = next(iter(tree.items())), depth + 1
    if tag == "x" and body in ("inf", "-inf", "nan"):
        return float(body)
    if tag == "b" and type(body) is str:
        return base64.b64decode(body)
    if type(body) is not list and tag != "h":
        raise ValueError(f"malformed value for tag {tag!r}")
    if tag == "c" and len(body) == 2:
        return complex(decode(body[0], None, d), decode(body[1], None, d))
    if tag in "tlsf" and len(tag) == 1:
        items = [decode(v, make_handle, d) for v in body]
        return {"t": tuple, "l": list, "s": set, "f": frozenset}[tag](items)
    if tag == "d":
        return {decode(k, make_handle, d): decode(v, make_handle, d) for k, v in body}
    if tag == "h" and type(body) is int and make_handle is not None:
        return make_handle(body)
    raise ValueError(f"unknown value tag {tag!r}")


# ---------------------------------------------------------------- child
def _limit(kind: int, value: int) -> None:
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            resource.setrlimit(kind, (min(value, hard), hard))


def _confine(cfg: dict, sock_fd: int, out_fd: int, workdir: str) -> None:
    """Child side, before any untrusted code: fds, identity, limits, folder."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.closerange(3, sock_fd)
    os.closerange(sock_fd + 1, 65536)
    os.chdir(workdir)
    if cfg["uid"] >= 0:
        os.setgroups([])
        os.setgid(cfg["uid"])
        os.setuid(cfg["uid"])
    _limit(resource.RLIMIT_NPROC, cfg["nproc"])
    _limit(resource.RLIMIT_AS, cfg["as_bytes"])
    _limit(resource.RLIMIT_FSIZE, cfg["fsize"])
    _limit(resource.RLIMIT_NOFILE, cfg["nofile"])
    _limit(resource.RLIMIT_CPU, cfg["cpu_s"])
    _limit(resource.RLIMIT_CORE, 0)


def _answer(request: dict, namespace: dict, handles: dict):
    """One data request from the host, evaluated on the untrusted side."""
    op = request["op"]
    target = namespace if request.get("ref") is None else handles[request["ref"]]
    args = [decode(a, handles.__getitem__) for a in request.get("args", [])]
    if op == "call":
        kwargs = {k: decode(v, handles.__getitem__) for k, v in request.get("kwargs", {}).items()}
        return target(*args, **kwargs)
    if op == "getattr":
        return getattr(target, request["name"])
    table = {"len": len, "list": list, "str": str, "repr": repr, "bool": bool,
             "getitem": lambda o, k: o[k], "contains": lambda o, k: k in o}
    return table[op](target, *args)


def _run_program(code: str, stdin: str, cap: int) -> dict:
    """Standard-I/O mode: the completion runs as ``__main__`` on ``stdin``; its printed output is the data."""
    import builtins
    import io

    sys.stdin, sys.stdout = io.StringIO(stdin), io.StringIO()
    try:
        exec(compile(code, "<completion>", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as exc:
        if exc.code not in (None, 0):
            return {"err": ["SystemExit", str(exc.code)[:100]]}
    except BaseException as exc:  # noqa: BLE001
        return {"err": [type(exc).__name__, str(exc)[:500]]}
    return {"ok": sys.stdout.getvalue()[:cap]}


def _child(code: str, cfg: dict, sock_fd: int, out_fd: int, workdir: str, stdin: str | None = None) -> None:
    _confine(cfg, sock_fd, out_fd, workdir)
    import builtins

    if stdin is not None:
        write_all(sock_fd, pack(_run_program(code, stdin, cfg["msg_cap"] // 2)))
        os._exit(0)
    handles: dict = {}
    namespace = {"__name__": "solution", "__builtins__": builtins}
    try:
        exec(compile(code, "<completion>", "exec"), namespace)
        reply = {"ok": encode({k: v for k, v in namespace.items() if not k.startswith("__")}, handles)}
    except BaseException as exc:  # noqa: BLE001 - everything is reported, nothing escapes
        reply = {"err": [type(exc).__name__, str(exc)[:500]]}
    write_all(sock_fd, pack(reply))
    while True:
        try:
            request = json.loads(read_frame(sock_fd, cfg["msg_cap"]))
        except (EOFError, OSError, ValueError):
            os._exit(0)
        try:
            reply = {"ok": encode(_answer(request, namespace, handles), handles)}
        except BaseException as exc:  # noqa: BLE001
            reply = {"err": [type(exc).__name__, str(exc)[:500]]}
        try:
            data = pack(reply)
        except (TypeError, ValueError) as exc:
            data = pack({"err": [type(exc).__name__, str(exc)[:500]]})
        write_all(sock_fd, data)


# ---------------------------------------------------------------- worker
def _others() -> list[int]:
    """Live processes in our pid namespace other than its init and us (zombies skipped)."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (1, me):
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    if stat.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                        found.append(int(name))
            except (OSError, IndexError):
                pass
    return found


def _sweep(cfg: dict, child_pid: int) -> None:
    """Kill the child and everything it started (daemons that left its session included)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(child_pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.waitpid(child_pid, 0)
    except ChildProcessError:
        pass
    if cfg["pidns"]:  # our own pid namespace: every process but its init and us is the child's
        give_up = time.monotonic() + 5.0
        while True:  # until they are gone, not just signalled ("ended" promises a clean slate)
            others = _others()
            if not others or time.monotonic() > give_up:
                break
            for pid in others:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            _reap()
            time.sleep(0.0005)
    elif cfg["uid"] >= 0:  # root, shared pid space: a helper with the child's uid kills that uid
        helper = os.fork()
        if helper == 0:
            try:
                os.setgid(cfg["uid"])
                os.setuid(cfg["uid"])
                for _ in range(3):
                    os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            os._exit(0)
        os.waitpid(helper, 0)
    _reap()


def _reap() -> None:
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def _wipe(cfg: dict, workdir: str) -> None:
    """Remove the test's folder and anything it left in the scratch folders."""
    shutil.rmtree(workdir, ignore_errors=True)
    keep = os.path.basename(cfg["root"])
    for scratch in cfg["scratch"]:
        for entry in os.listdir(scratch) if os.path.isdir(scratch) else []:
            path = os.path.join(scratch, entry)
            if entry != keep:
                shutil.rmtree(path, ignore_errors=True)
                if os.path.lexists(path):
                    os.unlink(path)


def _start_child(code: str, cfg: dict, serial: int, stdin: str | None = None):
    workdir = os.path.join(cfg["root"], f"wb-{serial}")
    os.makedirs(workdir, mode=0o700)
    if cfg["uid"] >= 0:
        os.chown(workdir, cfg["uid"], cfg["uid"])
    ours, theirs = socket.socketpair()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            os.close(out_r)
            _child(code, cfg, theirs.fileno(), out_w, workdir, stdin)
        finally:
            os._exit(70)
    theirs.close()
    os.close(out_w)
    return pid, ours, out_r, workdir


def _relay(host_in: int, host_out: int, cfg: dict, pid: int, sock, out_r: int) -> bytes:
    """Forward host requests to the child and its replies back until ``end``."""
    captured, buffer, child_open = bytearray(), b"", True
    fds = [host_in, sock.fileno(), out_r]
    while True:
        ready, _, _ = select.select(fds, [], [])
        if out_r in ready:
            chunk = os.read(out_r, 65536)
            if not chunk:
                fds.remove(out_r)
            elif len(captured) < cfg["out_cap"]:
                captured += chunk[: cfg["out_cap"] - len(captured)]
        if sock.fileno() in ready and child_open:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            buffer += chunk
            while len(buffer) >= HEADER.size:
                (size,) = HEADER.unpack(buffer[: HEADER.size])
                if size > cfg["msg_cap"]:
                    chunk = b""  # oversized reply: treat the child as dead
                    break
                if len(buffer) < HEADER.size + size:
                    break
                write_all(host_out, buffer[: HEADER.size + size])
                buffer = buffer[HEADER.size + size:]
            if not chunk:
                child_open = False
                fds.remove(sock.fileno())
                write_all(host_out, pack({"dead": "the completion's process ended or misbehaved"}))
        if host_in in ready:
            frame = read_frame(host_in, cfg["msg_cap"])
            if json.loads(frame).get("op") == "end":
                return bytes(captured)
            if child_open:
                try:
                    sock.sendall(HEADER.pack(len(frame)) + frame)
                except OSError:
                    pass


def main(argv: list[str]) -> None:
    cfg = json.loads(argv[1])
    sys.path.extend(cfg.get("site_packages", []))
    host_in, host_out = 0, os.dup(1)
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1)  # stray prints from our side never corrupt the protocol
    try:  # non-dumpable: processes of our uid can neither ptrace us nor open /proc/<us>/fd
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    os.makedirs(cfg["root"], exist_ok=True)
    import gc

    gc.collect()
    gc.freeze()  # children's collections skip our objects: fewer copy-on-write page faults per fork
    code, serial = "", 0
    write_all(host_out, pack({"ready": os.getpid()}))
    while True:
        try:
            request = json.loads(read_frame(host_in, cfg["code_cap"]))
        except EOFError:
            return
        if request["op"] == "load":
            code = request["code"]
            write_all(host_out, pack({"loaded": len(code)}))
        elif request["op"] == "start":
            serial += 1
            pid, sock, out_r, workdir = _start_child(code, dict(cfg, cpu_s=request["cpu"]), serial,
                                                     request.get("stdin"))
            output = _relay(host_in, host_out, cfg, pid, sock, out_r)
            _sweep(cfg, pid)
            sock.close()
            os.close(out_r)
            _wipe(cfg, workdir)
            write_all(host_out, pack({"ended": output.decode("utf-8", "replace")}))


if __name__ == "__main__":
    main(sys.argv)
