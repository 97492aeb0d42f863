"""Exact labels on hand-made solutions: right, wrong, right answer after a wrong step, and every error kind."""
import pytest

from workbench.world.checker import answer_correct, label_solution, parse_step, solution_kind
from workbench.world.tasks import parse_question

QUESTION = "Tom has 7 apples. He gets 5 more. Ann takes 3. He doubles them. How many apples does Tom have?"


@pytest.fixture
def problem():
    return parse_question(QUESTION)  # 7 + 5 = 12, 12 - 3 = 9, 9 * 2 = 18


def test_the_gold_solution_is_right(problem):
    record = label_solution(problem, problem.solution)
    assert record.labels == [1.0, 1.0, 1.0] and record.is_correct and record.first_error is None
    assert record.meta["kind"] == "right" and record.meta["complete"] and record.reference == "18"


def test_a_misread_operation_is_wrong_from_that_step_on(problem):
    """"Ann takes 3" read as + 3: 12 + 3 = 15 is true arithmetic but the wrong operation; 15 * 2 = 30 carries it."""
    text = ("He gets 5 more, so Tom has 7 + 5 = 12 apples.\nAnn takes 3, so Tom has 12 + 3 = 15 apples.\n"
            "He doubles them, so Tom has 15 * 2 = 30 apples.\n#### 30")
    record = label_solution(problem, text)
    assert record.labels == [1.0, 0.0, 0.0] and record.meta["errors"] == [None, "operation", "carried"]
    assert record.first_error == 1 and not record.is_correct and solution_kind(record) == "wrong"


def test_right_answer_after_a_slip_is_flagged(problem):
    """7 + 5 = 13 is a slip; the next step starts again from the true 12, so the answer 18 is right."""
    text = ("He gets 5 more, so Tom has 7 + 5 = 13 apples.\nAnn takes 3, so Tom has 12 - 3 = 9 apples.\n"
            "He doubles them, so Tom has 9 * 2 = 18 apples.\n#### 18")
    record = label_solution(problem, text)
    assert record.labels == [0.0, 0.0, 0.0] and record.meta["errors"] == ["slip", "recovered", None]
    assert record.is_correct and record.meta["kind"] == "right_after_wrong"


S1, S2, S3 = ("He gets 5 more, so Tom has 7 + 5 = 12 apples.", "Ann takes 3, so Tom has 12 - 3 = 9 apples.",
              "He doubles them, so Tom has 9 * 2 = 18 apples.")


@pytest.mark.parametrize("steps, errors", [
    (["He gets 5 more, so Tom has 7 + 6 = 13 apples."], ["copy"]),           # the operand is not the question's
    ([S1, "Ann takes 3, so Tom has 21 - 3 = 18 apples."], [None, "copy"]),  # 12 copied as 21
    (["Ann takes 3, so Tom has 7 - 3 = 4 apples."], ["copy"]),               # restates another sentence
    (["He gets 5 more, so Tom has 7 + 5 = 12 pens."], ["format"]),           # another item
    (["Tom has 7 plus 5 is 12."], ["format"]),
    ([S1, S2, S3, "He gets 1 more, so Tom has 18 + 1 = 19 apples."], [None, None, None, "extra"]),
])
def test_error_kinds(problem, steps, errors):
    record = label_solution(problem, steps)
    assert record.meta["errors"] == errors
    first = errors.index(next(e for e in errors if e))
    assert record.labels == [1.0] * first + [0.0] * (len(errors) - first)


def test_a_stopped_solution_has_right_steps_and_a_wrong_outcome(problem):
    record = label_solution(problem, [S1, "#### 12"])
    assert record.labels == [1.0] and record.answer == "12" and not record.is_correct
    assert not record.meta["complete"] and record.meta["kind"] == "wrong"


def test_question_text_and_list_input_give_the_same_labels(problem):
    text = S1 + "\nAnn takes 3, so Tom has 12 - 3 = 8 apples.\n#### 8"
    by_text, by_lines = label_solution(QUESTION, text), label_solution(problem, text.split("\n"))
    assert by_text.labels == by_lines.labels == [1.0, 0.0] and by_text.answer == by_lines.answer == "8"
    assert answer_correct(problem, problem.solution) and not answer_correct(problem, text)
    assert not answer_correct(problem, S1)  # no answer line


def test_parse_step():
    assert parse_step(S2) == {"clause": "Ann takes 3", "name": "Tom", "a": 12, "op": "-", "b": 3, "c": 9,
                              "item": "apples"}
    assert parse_step("#### 9") is None
