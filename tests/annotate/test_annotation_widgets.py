"""Widgets driven as the front end drives them: by setting the synced `submission` state."""
import itertools
import json

import pytest

from workbench.annotate import (AnnotationStore, PairwiseAnnotator, RankingAnnotator,
                                StepAnnotator, to_records)


_nonce = itertools.count()


def send(widget, **payload):
    widget.submission = {"nonce": next(_nonce), **payload}


def test_ranking_submission_is_stored_in_original_order(tmp_path, ranking_tasks):
    widget = RankingAnnotator(ranking_tasks, tmp_path / "s.db", "alice", seed=1)
    task_id, shown = widget.current["id"], widget.shown_order
    task = next(t for t in ranking_tasks if t["id"] == task_id)
    assert widget.current["items"] == [task["responses"][i] for i in shown]
    # the annotator puts the last shown item first and ties the first two shown
    send(widget, action="submit", groups=[[3], [0, 1], [2]], elapsed_ms=4200, task_id=task_id)
    assert widget.message == "Saved" and widget.progress == {"done": 1, "total": 6}
    (judgement,) = widget.store.judgements("ranking")
    labels = judgement["label"]["labels"]
    assert labels[shown[3]] == 3 and labels[shown[0]] == labels[shown[1]] == 2 and labels[shown[2]] == 1
    assert judgement["shown_order"] == shown and judgement["seed"] == 1
    assert judgement["duration_s"] == pytest.approx(4.2)
    assert widget.current["id"] != task_id


def test_invalid_submission_saves_nothing_and_says_why(tmp_path, ranking_tasks):
    widget = RankingAnnotator(ranking_tasks, tmp_path / "s.db", "alice")
    shown_id = widget.current["id"]
    send(widget, action="submit", groups=[[0], [1]])             # two items missing
    assert "rank all 4" in widget.message and len(widget.store) == 0
    send(widget, action="submit", groups=[[0, 0], [1], [2], [3]])
    assert "twice" in widget.last_error
    send(widget, action="submit", groups=[[0], [1], [2], [3]], task_id="not-shown")
    assert "not-shown" in widget.last_error and widget.current["id"] == shown_id
    assert len(widget.store) == 0


def test_top_k_and_no_ties(tmp_path, ranking_tasks):
    widget = RankingAnnotator(ranking_tasks, tmp_path / "s.db", "ann", top_k=2, allow_ties=False)
    send(widget, action="submit", groups=[[1]])
    assert "at least the best 2" in widget.message
    send(widget, action="submit", groups=[[1, 2]])
    assert "ties are not allowed" in widget.message
    send(widget, action="submit", groups=[[2], [0]])
    (record,) = to_records(widget.store, "ranking")
    shown = widget.store.judgements()[0]["shown_order"]
    assert record["top_k"] == 2 and record["labels"][shown[2]] == 2 and record["labels"][shown[0]] == 1
    assert sorted(record["labels"]) == [0, 0, 1, 2]


def test_orders_randomised_per_annotator_and_reproducible(tmp_path, make_tasks):
    tasks = make_tasks(n=20)
    store = AnnotationStore(tmp_path / "s.db")
    a = RankingAnnotator(tasks, store, "alice", seed=7)
    b = RankingAnnotator(tasks, store, "bob", seed=7)
    a_again = RankingAnnotator(tasks, store, "alice", seed=7)
    assert a._order == a_again._order and a.shown_order == a_again.shown_order
    assert a._order != b._order
    assert sorted(a._order) == list(range(20))
    orders = {tuple(RankingAnnotator(tasks, store, f"x{i}").shown_order) for i in range(12)}
    assert len(orders) > 3
    fixed = RankingAnnotator(tasks, store, "carol", shuffle=False)
    assert fixed.current["id"] == "t0" and fixed.shown_order == [0, 1, 2, 3]


def test_pairwise_choices_margins_ties_and_skip(tmp_path, pairwise_tasks):
    widget = PairwiseAnnotator(pairwise_tasks, tmp_path / "s.db", "ann", strength=True)
    expected = {}
    for choice, strength in [("A", "much"), ("B", "slightly"), ("tie_good", None), ("skip", None)]:
        expected[widget.current["id"]] = (choice, list(widget.shown_order))
        send(widget, action="skip") if choice == "skip" else send(
            widget, action="submit", choice=choice, strength=strength)
    records = {r["task_id"]: r for r in to_records(widget.store, "pairwise")}
    assert len(records) == 3                                        # the skip is not a record
    tasks = {t["id"]: t for t in pairwise_tasks}
    for task_id, (choice, shown) in expected.items():
        if choice == "skip":
            assert task_id not in records
            continue
        record = records[task_id]
        if choice == "tie_good":
            assert record["tie"] and record["margin"] == 0.0
            continue
        winner = shown[0] if choice == "A" else shown[1]
        assert record["chosen"] == tasks[task_id]["responses"][winner]
        assert record["rejected"] == tasks[task_id]["responses"][1 - winner]
        assert record["margin"] == pytest.approx(1.0 if choice == "A" else 1 / 3)
    send(widget, action="submit", choice="C")
    assert "choice must be one of" in widget.message


def test_undo_shows_the_task_again_and_keeps_history(tmp_path, pairwise_tasks):
    widget = PairwiseAnnotator(pairwise_tasks, tmp_path / "s.db", "ann")
    first = widget.current["id"]
    send(widget, action="submit", choice="A")
    assert widget.can_undo and widget.current["id"] != first
    send(widget, action="undo")
    assert widget.current["id"] == first and widget.progress["done"] == 0
    assert len(widget.store.judgements(include_undone=True)) == 1 and len(widget.store) == 0
    send(widget, action="submit", choice="B")
    assert widget.store.judgements()[0]["label"]["choice"] == "B"


def test_reopening_resumes_where_the_annotator_stopped(tmp_path, ranking_tasks):
    path = tmp_path / "s.db"
    widget = RankingAnnotator(ranking_tasks, path, "ann", seed=3)
    done = []
    for _ in range(3):
        done.append(widget.current["id"])
        widget.submit([[0], [1], [2], [3]])
    expected_next = widget.current["id"]
    del widget
    reopened = RankingAnnotator(ranking_tasks, path, "ann", seed=3)
    assert reopened.progress == {"done": 3, "total": 6} and reopened.current["id"] == expected_next
    other = RankingAnnotator(ranking_tasks, path, "someone-else", seed=3)
    assert other.progress["done"] == 0
    for _ in range(3):
        reopened.skip()
    assert reopened.finished and reopened.current == {} and "done" in reopened.message
    with pytest.raises(ValueError, match="every task is done"):
        reopened.submit([[0], [1], [2], [3]])


def test_step_annotator_ratings_and_first_wrong(tmp_path, step_tasks):
    widget = StepAnnotator(step_tasks, tmp_path / "s.db", "ann", shuffle=False)
    send(widget, action="submit", first_wrong=2)
    send(widget, action="submit", ratings=[1, 0, None, -1])
    send(widget, action="submit", ratings=[1, 5, 1, 1])
    assert "rating must be" in widget.message
    send(widget, action="submit", first_wrong=-1)
    records = {r["task_id"]: r for r in to_records(widget.store, "step", neutral=0.5)}
    assert records["s0"]["labels"] == [1.0, 1.0, 0.0, None]
    assert records["s1"]["labels"] == [1.0, 0.5, None, 0.0]
    assert records["s2"]["labels"] == [1.0] * 4
    assert records["s0"]["completions"] == step_tasks[0]["steps"]


@pytest.mark.parametrize("tasks, kind, message", [
    ([{"id": "a", "prompt": "p", "responses": ["x", "  "]}], "ranking", r"task 0 \(id='a', field 'responses'\[1\]\): empty"),
    ([{"id": "a", "prompt": "p", "responses": ["x"]}], "ranking", r"task 0 .*needs at least 2"),
    ([{"id": "a", "prompt": "p", "responses": ["x", "y", "z"]}], "pairwise", "exactly 2"),
    ([{"id": "a", "prompt": "p", "responses": ["x", "y"]},
      {"id": "a", "prompt": "q", "responses": ["x", "y"]}], "ranking", r"task 1 \(field 'id'\): duplicate id 'a'"),
    ([{"id": "a", "prompt": "p", "responses": "xy"}], "ranking", "expected a list"),
    ([{"id": "a", "prompt": 3, "responses": ["x", "y"]}], "ranking", "field 'prompt'"),
    ([{"id": "a", "prompt": "p", "steps": []}], "step", "needs at least 1"),
    ([], "ranking", "no tasks"),
])
def test_malformed_tasks_refused_before_anything_is_shown(tmp_path, tasks, kind, message):
    cls = {"ranking": RankingAnnotator, "pairwise": PairwiseAnnotator, "step": StepAnnotator}[kind]
    with pytest.raises(ValueError, match=message):
        cls(tasks, tmp_path / "s.db", "ann")
    assert not (tmp_path / "s.db").exists() or len(AnnotationStore(tmp_path / "s.db").tasks(kind)) == 0


def test_front_end_assets_are_package_data():
    from workbench.annotate.widgets import STATIC

    js = (STATIC / "annotator.js").read_text()
    assert "export default" in js and "stopPropagation" in js and "data-lm-suppress-shortcuts" in js
    assert (STATIC / "annotator.css").stat().st_size > 0


def test_load_tasks_from_files_and_frames(tmp_path):
    import pandas as pd

    from workbench.annotate import load_tasks

    rows = [{"id": "a", "prompt": "p", "responses": ["x", "y"], "meta": {"scores": [1, 2]}, "source": "s"}]
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(rows[0]) + "\n\n{not json\n")
    with pytest.raises(ValueError, match=r"tasks.jsonl:3: not valid JSON"):
        load_tasks(path, "pairwise")
    path.write_text(json.dumps(rows[0]) + "\n")
    (task,) = load_tasks(path, "pairwise")
    assert task["meta"] == {"scores": [1, 2], "source": "s"}
    (from_frame,) = load_tasks(pd.DataFrame(rows), "pairwise")
    assert from_frame["responses"] == ["x", "y"]
