"""benchmarks/eval_speed.py's code path at a tiny size (its timings live in benchmarks/RESULTS.md)."""
import importlib.util
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "eval_speed.py"


def test_eval_speed_runs_quick_and_checks_the_scores_agree():
    spec = importlib.util.spec_from_file_location("eval_speed", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--quick", "--max-length", "64"])
    assert result["pairs"] == 16 and result["sequences"] == 32 and result["max_score_gap"] <= 1e-4
    assert result["loop_seconds"] > 0 and result["batched_seconds"] > 0 and result["compared"] > 0
