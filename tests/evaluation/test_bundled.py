"""The bundled evaluation sets in data/eval: each loads in its format; rebuilding gives the same rows."""
import gzip

import pytest

from workbench.evaluation import BUNDLED_SETS, build_bundled_sets, bundled_path, load_bundled

EXPECTED = {"hh_harmless": ("v1", ["harmless-single-turn", "harmless-multi-turn"]),
            "prometheus": ("v2", ["prometheus-vicuna", "prometheus-mt-bench"]),
            "gsm8k_math": ("v2", ["gsm8k-math"]), "gsm8k_ties": ("v2", ["Ties"])}


@pytest.mark.parametrize("name", sorted(BUNDLED_SETS))
def test_each_bundled_set_loads_in_its_format(name):
    eval_set = load_bundled(name)
    fmt, subsets = EXPECTED[name]
    assert eval_set.format == fmt and eval_set.subsets == subsets and len(eval_set) >= 40
    if name == "gsm8k_math":
        assert all(ex.num_correct == 1 and len(ex.responses) == 4 for ex in eval_set.examples)
    if name == "gsm8k_ties":
        kinds = sorted(ex.id.split(":")[0] for ex in eval_set.examples)
        assert kinds.count("ref") == kinds.count("tied") and all(
            ex.num_correct >= 2 for ex in eval_set.examples if ex.id.startswith("tied"))


def test_the_bundled_sets_stay_small():
    assert sum(bundled_path(n).stat().st_size for n in BUNDLED_SETS) < 300 * 1024


def test_rebuilding_from_shared_data_gives_the_committed_rows(shared_data, tmp_path):
    written = build_bundled_sets(shared_data, tmp_path, seed=0)
    for name, path in written.items():
        assert gzip.decompress(path.read_bytes()) == gzip.decompress(bundled_path(name).read_bytes()), name
