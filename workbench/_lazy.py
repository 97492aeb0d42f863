"""Public names of a package imported on first use (PEP 562), shared by every package that needs it.

A package's ``__init__`` maps each public name to the submodule that defines it and asks for
the two module hooks:

    _HOME = {**dict.fromkeys(("load_records", "rows_from"), "records"), ...}
    __getattr__, __dir__ = lazy_exports(__name__, _HOME)

Then ``import workbench.data`` costs nothing, and ``workbench --help`` (which imports every
area's ``cli.py``, and so its package) stays well under a second: torch, transformers and
scipy load only when a name that needs them is first used. A name that is not public but is
a submodule (``workbench.prm.scoring`` after ``import workbench.prm``) imports that submodule,
as an eager package would have; anything else is an AttributeError.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(package: str, home: dict[str, str], *, first: str | None = None) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``, whose public names live in ``package.<home[name]>``.

    ``first``: a module imported before any public name (one that registers classes, say).
    A name, once imported, is set on the package, so the hook runs once per name.
    """
    def __getattr__(name: str):
        if name not in home:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"{package}.{name}":  # the submodule exists but its own import failed
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        if first is not None:
            importlib.import_module(first)
        value = getattr(importlib.import_module(f"{package}.{home[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(home))

    return __getattr__, __dir__
