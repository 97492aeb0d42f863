"""The benchmark scripts' code paths, at tiny sizes (their timings live in benchmarks/RESULTS.md)."""
import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # TRL's RewardTrainer beside ours
def test_gpu_smoke_runs_on_cpu_with_a_tiny_config():
    rates = _load("gpu_smoke").main(["--size", "tiny", "--steps", "2", "--batch", "2", "--seq-len", "16"])
    assert set(rates) == {"workbench", "TRL RewardTrainer"} and all(r > 0 for r in rates.values())


def test_time_to_target_interpolates():
    time_to = _load("listwise_vs_pairwise").time_to
    assert time_to([(1.0, 0.1), (2.0, 0.5), (3.0, 0.7)], 0.3) == pytest.approx(1.5)
    assert time_to([(1.0, 0.4)], 0.3) == 1.0 and time_to([(1.0, 0.1)], 0.3) is None


def test_bf16_by_length_prints_the_auto_choice_beside_each_row(capsys):
    ratios = _load("bf16_by_length").main(["--lengths", "8", "--sequences", "2", "--repeats", "1"])
    assert set(ratios) == {(2, 8)} and ratios[2, 8] > 0
    row = capsys.readouterr().out.splitlines()[-2]
    assert "16 tokens)" in row and "auto: fp32" in row  # 2 x 8 tokens: far below the threshold on any CPU
    assert row.startswith("width  384")  # MiniLM
