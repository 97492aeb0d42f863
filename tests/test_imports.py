"""Import smoke test over every module of the package, and its layering.

Each module imports on its own (no hidden dependence on import order, no module that
only works after another was imported). The layering is the one drawn in
shared/DESIGN.md: ``{losses, data} -> models -> training -> {prm, ranking, rewards,
aggregation, analysis, evaluation, world, annotate} -> viz``; an import never points
to a package on a higher floor, and no two packages import each other. Shims that only
keep an old import path working (their docstring starts with "Moved to") are left out
of the layering: they are the one sanctioned sideways arrow, and they import nothing
back.
"""
import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import workbench

ROOT = Path(workbench.__file__).resolve().parent
# The floor of each top-level name in workbench (a package or a single module).
FLOORS = {
    "_lazy": 0, "errors": 0, "paths": 0, "losses": 1, "data": 1, "models": 2, "training": 3,
    "prm": 4, "ranking": 4, "rewards": 4, "aggregation": 4, "analysis": 4, "evaluation": 4, "world": 4,
    "annotate": 4, "viz": 5, "demo": 6, "cli": 7,
}


def module_names() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(workbench.__path__, prefix="workbench."))


# Run in a fresh interpreter: heavy third-party libraries are imported once, then each
# workbench module is imported in its own forked child, which starts with no workbench
# module loaded. A module that works only after another was imported fails here.
ALONE = """
import os, sys, traceback
import importlib
for lib in ("numpy", "pandas", "scipy", "torch", "transformers", "plotly", "accelerate", "datasets", "trl", "peft",
            "ipywidgets", "anywidget", "sklearn", "statsmodels", "math_verify", "tokenizers", "yaml", "tqdm"):
    try:  # third-party, imported once and shared by every child
        importlib.import_module(lib)
    except ImportError:
        pass
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
print("FAILED:", " ".join(failed))
sys.exit(1 if failed else 0)
"""


@pytest.mark.slow  # one process per module
def test_every_module_imports_alone():
    names = module_names()
    assert len(names) > 50  # the walk found the package, not an empty folder
    done = subprocess.run([sys.executable, "-c", ALONE, *names], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-500:] + done.stderr[-3000:]


def _is_shim(tree: ast.Module) -> bool:
    doc = ast.get_docstring(tree) or ""
    return doc.startswith("Moved to")


def package_imports() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) top-level names -> the files where the import is written."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        source = relative.parts[0].removesuffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _is_shim(tree):
            continue
        package = ".".join(("workbench",) + relative.with_suffix("").parts[:-1])
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against this file's package
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    targets = [".".join(base + ([node.module] if node.module else []))]
                else:
                    targets = [node.module or ""]
            for target in targets:
                parts = target.split(".")
                if parts[0] == "workbench" and len(parts) > 1 and parts[1] != source:
                    edges.setdefault((source, parts[1]), []).append(str(relative))
    return edges


def test_every_package_has_a_floor():
    names = {p.name.removesuffix(".py") for p in ROOT.iterdir()
             if (p.suffix == ".py" and p.name != "__init__.py"
                 and not _is_shim(ast.parse(p.read_text(encoding="utf-8"))))
             or (p / "__init__.py").is_file()}
    assert names <= set(FLOORS), f"add {sorted(names - set(FLOORS))} to FLOORS (and to DESIGN.md's layering)"


def test_no_import_points_up_and_no_cycle():
    edges = package_imports()
    upward = [f"{a} -> {b} ({', '.join(sorted(set(files)))})" for (a, b), files in edges.items()
              if FLOORS.get(b, -1) > FLOORS.get(a, 99)]
    assert not upward, upward
    cycles = [f"{a} <-> {b}" for (a, b) in edges if (b, a) in edges and a < b]
    assert not cycles, cycles
