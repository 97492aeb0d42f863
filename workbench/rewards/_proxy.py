"""The trusted side's view of the completion: names it may see, and proxies for its objects."""
from __future__ import annotations

import builtins


def solution_names(names) -> dict:
    """The completion's top-level names the test may see: never a dunder or a builtin's name.

    A completion that defines ``abs = lambda x: 0`` must not change what the
    *test's* ``abs`` means (``assert abs(f(x) - 2) < 1e-9``); so tests always see
    the real builtins, and a task cannot ask for a function named like one.
    """
    if not isinstance(names, dict):
        raise TypeError("the completion's names must come back as a dict")
    return {k: v for k, v in names.items()
            if isinstance(k, str) and k.isidentifier() and not k.startswith("__") and not hasattr(builtins, k)}


class Handle:
    """Proxy for an object living in the sandbox; every use is one data request."""

    def __init__(self, sandbox, ref: int):
        object.__setattr__(self, "_sandbox", sandbox)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_test", sandbox.test_serial)

    def _ask(self, op: str, *args, **extra):
        if self._sandbox.test_serial != self._test or not self._sandbox.in_test:
            raise RuntimeError("this handle belongs to a test that has ended; its process is gone")
        return self._sandbox.request({"op": op, "ref": self._ref, "args": [self._sandbox.encode(a) for a in args], **extra})

    def __call__(self, *args, **kwargs):
        kw = {k: self._sandbox.encode(v) for k, v in kwargs.items()}
        return self._ask("call", *args, kwargs=kw)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __len__(self):
        return self._ask("len")

    def __iter__(self):
        return iter(self._ask("list"))

    def __getitem__(self, key):
        return self._ask("getitem", key)

    def __contains__(self, item):
        return self._ask("contains", item)

    def __str__(self):
        return self._ask("str")

    def __repr__(self):
        if self._sandbox.test_serial != self._test or not self._sandbox.in_test:
            return f"<handle {self._ref} of an ended test>"
        return self._ask("repr")

    def __bool__(self):
        return self._ask("bool") is True
