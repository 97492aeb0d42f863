"""Every ``>>>`` example in the package runs and shows its true result.

One test over every module, found by walking the package (a new module's examples
are picked up with no edit here). It also asserts that examples were attempted: a
module whose source holds ``>>>`` must run at least one of them (unless each is marked
``+SKIP``), and the modules that STYLE.md asks to carry examples (every rule reward)
must have them, so deleting the examples fails this test instead of passing it.
"""
import doctest
import importlib
import pkgutil

import workbench

# Rule rewards show one call and its result in a doctest (STYLE.md, item 7).
MUST_HAVE_EXAMPLES = ["workbench.rewards", "workbench.rewards._text", "workbench.rewards.format",
                      "workbench.rewards.correctness", "workbench.rewards.shaping",
                      "workbench.rewards.execution", "workbench.rewards.examples"]


def package_modules() -> list[str]:
    names = [workbench.__name__]
    for info in pkgutil.walk_packages(workbench.__path__, prefix="workbench."):
        names.append(info.name)
    return sorted(names)


def runnable_examples(module) -> int:
    """Examples in the module's docstrings that doctest will run (those not marked +SKIP)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    skip = doctest.OPTIONFLAGS_BY_NAME["SKIP"]
    return sum(not example.options.get(skip, False)
               for test in finder.find(module) for example in test.examples)


def test_every_example_in_the_package_runs():
    attempted, failures, silent = {}, [], []
    for name in package_modules():
        module = importlib.import_module(name)
        expected = runnable_examples(module)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                 report=True, verbose=False)
        attempted[name] = result.attempted
        if result.failed:
            failures.append(f"{name}: {result.failed} of {result.attempted} failed")
        if result.attempted < expected:
            silent.append(f"{name}: {expected} examples, {result.attempted} run")
    assert not failures, failures
    assert not silent, silent
    missing = [name for name in MUST_HAVE_EXAMPLES if attempted.get(name, 0) == 0]
    assert not missing, f"modules without a running example: {missing}"
    assert sum(attempted.values()) >= 20, attempted  # the package's examples, not an empty walk
