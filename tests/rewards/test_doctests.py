"""Every reward's docstring example runs and shows the true result."""
import doctest
import importlib

import pytest

MODULES = ["workbench.rewards", "workbench.rewards._text", "workbench.rewards.format",
           "workbench.rewards.correctness", "workbench.rewards.shaping", "workbench.rewards.execution",
           "workbench.rewards.examples"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctest"
    assert result.failed == 0
