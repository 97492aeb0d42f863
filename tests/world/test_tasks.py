"""The world's problems: deterministic, in range, and readable back from their text."""
import pytest

from workbench.prm.records import split_steps
from workbench.prm.verify import verify_arithmetic
from workbench.world.tasks import PHRASES, apply, make_problems, parse_question


def test_same_seed_same_problems_other_seed_other_problems():
    assert make_problems(20, seed=3) == make_problems(20, seed=3)
    assert make_problems(20, seed=3) != make_problems(20, seed=4)


def test_steps_values_and_answer_agree():
    for problem in make_problems(300, steps=(3, 8), seed=0):
        assert 3 <= len(problem.steps) == len(problem.operations) <= 8
        assert problem.values[0] == problem.start and problem.values[-1] == problem.answer
        assert all(0 <= v <= 99 for v in problem.values)
        for operation, before, after in zip(problem.operations, problem.values, problem.values[1:]):
            assert apply(operation.kind, before, operation.operand) == after
            assert operation.sentence in problem.question
        assert all(verify_arithmetic(step) for step in problem.steps)
        steps, answer = split_steps(problem.solution)  # the project's answer parsing reads our answer line
        assert steps == list(problem.steps) and answer == str(problem.answer)
        assert problem.quantities[0] == problem.start and len(problem.quantities) == len(problem.steps) + 1


def test_hand_worked_problem():
    """7 + 5 = 12, 12 - 3 = 9 ("Ann takes 3"), 9 * 2 = 18 ("doubles")."""
    problem = parse_question("Tom has 7 apples. He gets 5 more. Ann takes 3. He doubles them. "
                             "How many apples does Tom have?")
    assert problem.steps == ("He gets 5 more, so Tom has 7 + 5 = 12 apples.",
                             "Ann takes 3, so Tom has 12 - 3 = 9 apples.",
                             "He doubles them, so Tom has 9 * 2 = 18 apples.")
    assert problem.answer == 18 and problem.confusable_steps == [1, 2]


def test_parse_question_inverts_make_problems_and_rejects_other_text():
    for problem in make_problems(200, seed=7):
        assert parse_question(problem.question) == problem
    with pytest.raises(ValueError, match="not a world"):
        parse_question("What is two plus two?")
    with pytest.raises(ValueError, match="not a world sentence"):
        parse_question("Tom has 7 apples. He eats the cake. How many apples does Tom have?")


def test_confusable_rate_sets_how_often_a_confusable_phrase_is_used():
    none = make_problems(100, seed=1, confusable_rate=0.0)
    assert all(not p.confusable_steps for p in none)
    steps = [o for p in make_problems(400, seed=1, confusable_rate=0.5) for o in p.operations]
    share = sum(o.phrase.confusable for o in steps) / len(steps)
    assert 0.35 < share < 0.6  # 0.5 drawn, a little less kept (a confusable choice out of range is redrawn)
    assert {p.kind for p in PHRASES if p.confusable} == {"add", "subtract", "multiply"}


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="steps"):
        make_problems(1, steps=(5, 3))
    with pytest.raises(ValueError, match="confusable_rate"):
        make_problems(1, confusable_rate=1.5)
