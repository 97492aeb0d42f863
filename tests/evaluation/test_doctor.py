"""The doctor names each planted fault and passes a healthy checkpoint."""
import pytest

from workbench.evaluation.doctor import Tolerances, diagnose

from .conftest import word_pieces

SCORE_CHECKS = ("batch_size", "padding_side", "plain_transformers", "dtype")


@pytest.fixture(scope="module")
def reports(checkpoints):
    return {name: diagnose(path, word_pieces()) for name, path in checkpoints.items()}


def test_a_healthy_checkpoint_passes_every_check(reports):
    report = reports["healthy"]
    assert report.ok, str(report)
    assert {c.name for c in report.checks} == {"head_outputs", "head_loaded", "pad_token", "read_token",
                                               "chat_template", *SCORE_CHECKS}
    for name in ("head_outputs", "head_loaded", "pad_token", "read_token", *SCORE_CHECKS):
        assert report.status(name) == "pass", name
    assert report.status("chat_template") in ("pass", "warn")  # a warning never fails a checkpoint


def test_pad_equal_to_eos_with_left_padding_is_named(reports):
    report = reports["pad_eos_left"]
    assert set(report.failed) == {"pad_token", "read_token"}, str(report)
    detail = {c.name: c.detail for c in report.checks}
    assert "is the EOS token" in detail["pad_token"] and "(pad = EOS)" in detail["read_token"]


def test_a_two_label_head_is_named(reports):
    assert reports["two_labels"].failed == ["head_outputs"], str(reports["two_labels"])


def test_a_head_left_out_of_the_checkpoint_is_named(reports):
    report = reports["no_head"]
    assert report.failed == ["head_loaded"], str(report)
    assert "score.weight" in next(c.detail for c in report.checks if c.name == "head_loaded")


def test_the_table_shows_measured_discrepancies_beside_tolerances(reports):
    text = str(reports["pad_eos_left"])
    assert "FAILED: pad_token, read_token" in text and "max|Δ|" in text and "tolerance" in text
    frame = reports["healthy"].to_frame()
    assert list(frame.columns) == ["name", "status", "measured", "tolerance", "detail"]


def test_a_zero_tolerance_turns_float_noise_into_a_failure(checkpoints):
    """The bfloat16 check measures a real discrepancy: with no tolerance at all it fails."""
    strict = diagnose(checkpoints["healthy"], word_pieces(), tolerances=Tolerances(bf16=0.0))
    assert strict.status("dtype") == "fail"
    with pytest.raises(ValueError, match="at least 2"):
        diagnose(checkpoints["healthy"], word_pieces(1))
