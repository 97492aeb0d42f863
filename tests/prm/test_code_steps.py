import pytest
from workbench.prm import StepRecord
from workbench.prm.code_steps import CodeStepVerifier, code_blocks


def test_code_blocks():
    assert code_blocks("no code") is None
    assert code_blocks("Compute:\n```python\nx = 1\n```\nand\n```\ny = 2\n```") == "x = 1\ny = 2"


@pytest.mark.slow  # the code sandbox
def test_code_steps_run_in_the_sandbox():
    record = StepRecord("Add 2 and 3, then double.", [
        "Set the numbers:\n```python\na, b = 2, 3\n```",
        "Add them.",
        "```python\ns = a + b\n```",
        "Double and print:\n```python\nprint(s * 2)\n```",
    ], [None] * 4, reference="10")
    annotation = CodeStepVerifier().annotate(record)
    assert annotation.labels == [1.0, None, 1.0, 1.0] and annotation.first_error is None
    assert annotation.cost["calls"] == 3
    wrong_answer = StepRecord(record.prompt, record.steps, [None] * 4, reference="11")
    assert CodeStepVerifier().annotate(wrong_answer).first_error == 3
    crashing = StepRecord(record.prompt, [record.steps[0], "```python\ns = a / 0\n```", "```python\nprint(s)\n```"],
                          [None] * 3)
    annotation = CodeStepVerifier().annotate(crashing)
    assert annotation.first_error == 1 and annotation.labels == [1.0, 0.0, None]
    looping = StepRecord("loop", ["```python\nwhile True:\n    pass\n```"], [None])
    assert CodeStepVerifier(timeout=1.0).annotate(looping).labels == [0.0]
