"""The old module paths still import the moved names, and aggregation does not import ranking."""
import subprocess
import sys

import pytest


@pytest.mark.parametrize("old, new", [
    ("workbench.fitting", "workbench.ranking.fitting"),
    ("workbench.aggregation.listwise", "workbench.ranking.rankers"),
    ("workbench.aggregation.grpo_listwise", "workbench.ranking.grpo_groups"),
])
def test_old_module_re_exports_the_same_objects(old, new):
    import importlib

    old_module, new_module = importlib.import_module(old), importlib.import_module(new)
    assert "Moved to " + new in old_module.__doc__
    for name in old_module.__all__:
        assert getattr(old_module, name) is getattr(new_module, name), name
    defined = {name for name, value in vars(new_module).items()
               if not name.startswith("_") and getattr(value, "__module__", None) == new}
    assert defined <= set(old_module.__all__), defined - set(old_module.__all__)


def test_aggregation_does_not_import_ranking():
    """Layering: ranking -> aggregation (group_advantages), never back."""
    code = "import sys, workbench.aggregation; print(any(m.startswith('workbench.ranking') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
