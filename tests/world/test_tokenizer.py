"""The world's tokenizer: exact round trips, a small vocabulary, and a checkpoint AutoTokenizer loads."""
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from workbench.world.tasks import make_problems
from workbench.world.tokenizer import world_tokenizer
from workbench.world.traces import make_traces


def test_every_problem_and_trace_round_trips_without_unknowns():
    tokenizer = world_tokenizer()
    problems = make_problems(200, seed=0)
    for problem, trace in zip(problems, make_traces(problems, seed=0)):
        for text in (problem.question + "\n" + problem.solution, problem.question + "\n" + trace):
            ids = tokenizer(text)["input_ids"]
            assert tokenizer.unk_token_id not in ids, tokenizer.convert_ids_to_tokens(ids)
            assert tokenizer.decode(ids) == text


def test_digits_are_single_tokens_and_specials_are_distinct():
    tokenizer = world_tokenizer()
    assert tokenizer.convert_ids_to_tokens(tokenizer(" 12 + 7")["input_ids"]) == ["Ġ1", "2", "Ġ+", "Ġ7"]
    assert tokenizer.pad_token_id == 0 and len({tokenizer.pad_token_id, tokenizer.eos_token_id,
                                                tokenizer.bos_token_id, tokenizer.unk_token_id}) == 4
    assert tokenizer("Tom has 3 apples.")["input_ids"] == tokenizer("Tom has 3 apples.", add_special_tokens=False)[
        "input_ids"]  # nothing added on encode: TRL's and transformers' paths agree
    assert len(tokenizer) < 160
    assert tokenizer("Tom eats cake")["input_ids"].count(tokenizer.unk_token_id) == 2


def test_saved_tokenizer_loads_with_auto_tokenizer_and_round_trips(tmp_path):
    world_tokenizer().save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert isinstance(loaded, PreTrainedTokenizerFast)
    solution = make_problems(1, seed=2)[0].solution
    assert loaded.decode(loaded(solution)["input_ids"]) == solution
    assert loaded.pad_token == "<pad>" and loaded.eos_token == "</s>"
    batch = loaded([solution, "Tom"], padding=True)
    assert batch["input_ids"][1][-1] == loaded.pad_token_id


def test_the_vocabulary_is_the_same_on_every_call():
    assert world_tokenizer().get_vocab() == world_tokenizer().get_vocab()
