import math

import pytest

from workbench.prm.records import (
    StepRecord,
    answers_equal,
    from_gsm8k,
    from_math_shepherd,
    from_prm800k,
    from_trl,
    split_steps,
    to_trl,
    validate_record,
)


def test_gsm8k_solution_splits_into_steps_and_answer():
    record = from_gsm8k("Q?", "a = <<1+1=2>>2\n\nb = <<2*3=6>>6\n#### 6")
    assert record.steps == ["a = <<1+1=2>>2", "b = <<2*3=6>>6"]
    assert record.answer == "6" and record.reference == "6" and record.is_correct
    assert record.labels == [1.0, 1.0] and record.first_error is None
    assert split_steps("x\nA: 26") == (["x"], "26")
    assert split_steps("x\nThe answer is 1,200.") == (["x"], "1,200")


def test_prm800k_nested_and_flat():
    sample = {"question": {"problem": "P"}, "label": {"steps": [
        {"completions": [{"text": "s1", "rating": 1}], "chosen_completion": 0},
        {"completions": [{"text": "bad", "rating": -1}, {"text": "s2", "rating": 0}], "chosen_completion": 1},
        {"completions": [{"text": "s3", "rating": -1}], "chosen_completion": None},
    ]}}
    record = from_prm800k(sample)
    assert record.prompt == "P" and record.steps == ["s1", "s2", "s3"]
    assert record.labels == [1.0, 1.0, 0.0] and record.first_error == 2
    assert from_prm800k(sample, neutral=0.0).first_error == 1
    assert from_prm800k(sample, neutral=None).labels == [1.0, None, 0.0]
    flat = from_prm800k({"prompt": "P", "steps": ["a", "b"], "ratings": [1, -1]})
    assert flat.labels == [1.0, 0.0]
    with pytest.raises(ValueError, match="record 7"):
        from_prm800k({"prompt": "P", "steps": ["a"], "ratings": [2]}, index=7)
    with pytest.raises(ValueError, match="record 3"):
        from_prm800k({"question": {}}, index=3)


def test_math_shepherd_tags():
    text = "Tom has 3. Step 1: 3 + 2 = 5 ки\nStep 2: 5 * 2 = 11 ки\nStep 3: The answer is 11 ки"
    label = "Tom has 3. Step 1: 3 + 2 = 5 +\nStep 2: 5 * 2 = 11 -\nStep 3: The answer is 11 -"
    record = from_math_shepherd(text, label)
    assert record.prompt == "Tom has 3."
    assert record.steps == ["3 + 2 = 5", "5 * 2 = 11", "The answer is 11"]
    assert record.labels == [1.0, 0.0, 0.0] and record.answer == "11"
    with pytest.raises(ValueError, match="record 2.*'label'"):
        from_math_shepherd(text, label.replace("+", "?"), index=2)


def test_trl_round_trip_hard_and_soft():
    hard = StepRecord("P", ["a", "b", "c"], [True, False, None])
    row = to_trl(hard)
    assert row == {"prompt": "P", "completions": ["a", "b", "c"], "labels": [True, False, None]}
    assert from_trl(row).labels == [1.0, 0.0, None]
    soft = to_trl(StepRecord("P", ["a", "b"], [0.75, 0.0]))
    assert soft["labels"] == [0.75, 0.0]
    assert from_trl(soft).labels == [0.75, 0.0]


@pytest.mark.parametrize("row, field", [
    ({"prompt": "P", "completions": ["a"]}, "labels"),
    ({"prompt": "P", "completions": ["a", "b"], "labels": [1.0]}, "labels"),
    ({"prompt": "P", "completions": ["a"], "labels": [1.5]}, "labels"),
    ({"prompt": "P", "completions": ["a"], "labels": [math.nan]}, "labels"),
    ({"prompt": "P", "completions": ["a"], "labels": ["yes"]}, "labels"),
    ({"prompt": 3, "completions": ["a"], "labels": [1.0]}, "prompt"),
])
def test_bad_rows_name_row_and_field(row, field):
    with pytest.raises(ValueError, match=f"record 5.*'{field}'"):
        from_trl(row, index=5)


def test_answers_equal_normalises():
    assert answers_equal("$1,200.00", "1200")
    assert not answers_equal("12", "13")
    with pytest.raises(ValueError):
        validate_record(StepRecord("P", ["a"], [2.0]), 0)
