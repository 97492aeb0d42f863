"""The table of hostile inputs: what a user with their own files types, and what it must name.

A :class:`Case` is a command line (``{tmp}`` is the case's own folder), the files it finds
there, and the texts its one-line error must contain: the file, the line (1-based) or row,
and the field. ``files`` values: text, bytes, ``FOLDER`` (an empty folder), or a callable
that builds the file at the path it is given (an annotation store).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

FOLDER = object()


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    files: dict = field(default_factory=dict)


def jsonl(*rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def store(*kinds: str):
    """A callable that builds an annotation store holding one judgement of each kind."""
    def build(path):
        from workbench.annotate import AnnotationStore

        tasks = {"pairwise": {"id": "p", "prompt": "q", "responses": ["a", "b"]},
                 "ranking": {"id": "r", "prompt": "q", "responses": ["a", "b", "c"]},
                 "step": {"id": "s", "prompt": "q", "steps": ["x", "y"]}}
        labels = {"pairwise": ({"winner": 0}, [0, 1]), "ranking": ({"labels": [3, 2, 1]}, [0, 1, 2]),
                  "step": ({"ratings": [1, -1]}, [0, 1])}
        with AnnotationStore(path) as opened:
            for kind in kinds:
                opened.register_tasks([tasks[kind]], kind)
                opened.add(tasks[kind]["id"], kind, "ann", *labels[kind])
    return build


def foreign_sqlite(path):
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE things (x)")


PAIR = {"prompt": "q ", "chosen": "good", "rejected": "bad"}
GOOD_REWARDS = {"group": "q", "rewards": {"correct": 1, "short": 0.5}}
TASK = {"id": "t1", "prompt": "p", "responses": ["a", "b"]}

REWARDS_SCORE = [
    Case("rewards_missing_file", ("rewards-score", "--data", "{tmp}/missing.jsonl", "--reward", "format"),
         ("missing.jsonl", "no such file")),
    Case("rewards_data_is_folder", ("rewards-score", "--data", "{tmp}/folder", "--reward", "format"),
         ("folder", "is a folder"), {"folder": FOLDER}),
    Case("rewards_bad_json", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "format"),
         ("c.jsonl:2", "not valid JSON"), {"c.jsonl": jsonl({"completion": "a"}, '{"completion": ')}),
    Case("rewards_not_object", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "format"),
         ("c.jsonl:1", "JSON object"), {"c.jsonl": jsonl(["a list"])}),
    Case("rewards_not_utf8", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "format"),
         ("c.jsonl", "UTF-8"), {"c.jsonl": b'{"completion": "\xff\xfe"}\n'}),
    Case("rewards_no_completion", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "format"),
         ("c.jsonl", "line 2", "'completion'"), {"c.jsonl": jsonl({"completion": "a"}, {"text": "b"})}),
    Case("rewards_completion_number", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "format"),
         ("c.jsonl", "line 2", "'completion'"), {"c.jsonl": jsonl({"completion": "a"}, {"completion": 7})}),
    Case("rewards_completion_bad_message", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "format"),
         ("c.jsonl", "line 1", "'completion'"), {"c.jsonl": jsonl({"completion": [{"role": "assistant"}]})}),
    Case("rewards_no_ground_truth", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "correctness"),
         ("c.jsonl", "line 1", "'ground_truth'"), {"c.jsonl": jsonl({"completion": "4"})}),
    Case("rewards_ground_truth_object", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "correctness"),
         ("c.jsonl", "line 2", "'ground_truth'"),
         {"c.jsonl": jsonl({"completion": "4", "ground_truth": "4"}, {"completion": "4", "ground_truth": {"a": 1}})}),
    Case("rewards_test_cases_string", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "code"),
         ("c.jsonl", "line 1", "'test_cases'"), {"c.jsonl": jsonl({"completion": "x", "test_cases": "assert 1"})}),
    Case("rewards_test_case_syntax", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "code"),
         ("c.jsonl", "line 1", "'test_cases'", "not valid Python"),
         {"c.jsonl": jsonl({"completion": "x", "test_cases": ["assert 1", "assert ("]})}),
    Case("rewards_empty_file", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "format"),
         ("c.jsonl", "no records"), {"c.jsonl": ""}),
    Case("rewards_timeout_zero", ("rewards-score", "--data", "{tmp}/c.jsonl", "--reward", "code", "--timeout", "0"),
         ("--timeout",), {"c.jsonl": jsonl({"completion": "x", "test_cases": ["assert 1"]})}),
]

AGGREGATE = [
    Case("aggregate_missing_file", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "no such file")),
    Case("aggregate_no_group", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "line 2", "'group'"),
         {"r.jsonl": jsonl(GOOD_REWARDS, {"rewards": {"correct": 1, "short": 0}})}),
    Case("aggregate_rewards_list", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "line 1", "'rewards'"),
         {"r.jsonl": jsonl({"group": "q", "rewards": [1, 2]})}),
    Case("aggregate_names_differ", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "line 3", "'rewards'"),
         {"r.jsonl": jsonl(GOOD_REWARDS, GOOD_REWARDS, {"group": "q", "rewards": {"correct": 1}})}),
    Case("aggregate_value_string", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "line 1", "rewards.short"),
         {"r.jsonl": jsonl({"group": "q", "rewards": {"correct": 1, "short": "high"}})}),
    Case("aggregate_value_bool", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "line 1", "rewards.correct"),
         {"r.jsonl": jsonl({"group": "q", "rewards": {"correct": True, "short": 0}})}),
    Case("aggregate_value_infinite", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "line 2", "rewards.short"),
         {"r.jsonl": jsonl(GOOD_REWARDS, '{"group": "q", "rewards": {"correct": 1, "short": Infinity}}')}),
    Case("aggregate_empty", ("aggregate", "--data", "{tmp}/r.jsonl"), ("r.jsonl", "no records"), {"r.jsonl": "\n"}),
    Case("aggregate_weight_name", ("aggregate", "--data", "{tmp}/r.jsonl", "--weights", "corect=2"),
         ("--weights", "'corect=2'"), {"r.jsonl": jsonl(GOOD_REWARDS)}),
    Case("aggregate_weight_value", ("aggregate", "--data", "{tmp}/r.jsonl", "--weights", "correct=lots"),
         ("--weights", "correct"), {"r.jsonl": jsonl(GOOD_REWARDS)}),
    Case("aggregate_priority_name", ("aggregate", "--data", "{tmp}/r.jsonl", "--method", "lexicographic",
                                     "--priority", "short,lenght"), ("--priority", "'lenght'"),
         {"r.jsonl": jsonl(GOOD_REWARDS)}),
    Case("aggregate_constraint_format", ("aggregate", "--data", "{tmp}/r.jsonl", "--method", "constrained",
                                         "--constraints", "short>0.5"), ("--constraints", "short>0.5"),
         {"r.jsonl": jsonl(GOOD_REWARDS)}),
    Case("aggregate_multiplier", ("aggregate", "--data", "{tmp}/r.jsonl", "--multiplier", "-1"),
         ("--multiplier",), {"r.jsonl": jsonl(GOOD_REWARDS)}),
]

PRM = [
    Case("prm_verify_missing", ("prm-verify", "--data", "{tmp}/s.jsonl"), ("s.jsonl", "no such file")),
    Case("prm_verify_bad_json", ("prm-verify", "--data", "{tmp}/s.jsonl"), ("s.jsonl:1", "not valid JSON"),
         {"s.jsonl": "{oops\n"}),
    Case("prm_verify_no_completions", ("prm-verify", "--data", "{tmp}/s.jsonl"), ("s.jsonl", "2", "'completions'"),
         {"s.jsonl": jsonl({"prompt": "P", "completions": ["a"], "labels": [True]}, {"prompt": "P", "labels": []})}),
    Case("prm_verify_bad_label", ("prm-verify", "--data", "{tmp}/s.jsonl"), ("s.jsonl", "1", "'labels'"),
         {"s.jsonl": jsonl({"prompt": "P", "completions": ["a"], "labels": ["yes"]})}),
    Case("prm_annotate_judge_without_url", ("prm-annotate", "--data", "{tmp}/s.jsonl", "--method", "judge"),
         ("--judge-url",), {"s.jsonl": jsonl({"prompt": "P", "completions": ["1+1=2"], "labels": [None]})}),
    Case("prm_annotate_output_is_folder", ("prm-annotate", "--data", "{tmp}/s.jsonl", "--output",
                                           "{tmp}/out.jsonl"), ("out.jsonl", "is a folder"),
         {"s.jsonl": jsonl({"prompt": "P", "completions": ["1+1=2"], "labels": [None]}), "out.jsonl": FOLDER}),
    Case("export_parquet_out_is_folder", ("annotate", "export", "{tmp}/s.db", "--out", "{tmp}/o.parquet"),
         ("o.parquet", "is a folder"), {"s.db": store("ranking"), "o.parquet": FOLDER}),
    Case("prm_train_missing_data", ("prm-train", "--data", "{tmp}/s.jsonl"), ("s.jsonl", "no such file")),
]

ANNOTATE = [
    Case("serve_tasks_missing", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db", "--print-command"),
         ("t.jsonl", "no such file")),
    Case("serve_tasks_bad_json", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db", "--print-command"),
         ("t.jsonl", "2", "not valid JSON"), {"t.jsonl": jsonl(TASK, "{nope")}),
    Case("serve_task_no_responses", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db",
                                     "--print-command"), ("t.jsonl", "'responses'"),
         {"t.jsonl": jsonl(TASK, {"id": "t2", "prompt": "p"})}),
    Case("serve_pairwise_three", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db", "--kind",
                                  "pairwise", "--print-command"), ("t.jsonl", "t2", "'responses'"),
         {"t.jsonl": jsonl(TASK, {"id": "t2", "prompt": "p", "responses": ["a", "b", "c"]})}),
    Case("serve_store_text_file", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db", "--print-command"),
         ("s.db", "not an annotation store"), {"t.jsonl": jsonl(TASK), "s.db": "some notes\n"}),
    Case("serve_store_folder", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db", "--print-command"),
         ("s.db", "folder"), {"t.jsonl": jsonl(TASK), "s.db": FOLDER}),
    Case("serve_store_foreign_sqlite", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db",
                                        "--print-command"), ("s.db", "not an annotation store"),
         {"t.jsonl": jsonl(TASK), "s.db": foreign_sqlite}),
    Case("serve_store_other_task_same_id", ("annotate", "serve", "{tmp}/t.jsonl", "--store", "{tmp}/s.db", "--kind",
                                            "pairwise", "--print-command"), ("s.db", "'p'", "different task"),
         {"t.jsonl": jsonl({"id": "p", "prompt": "other", "responses": ["x", "y"]}), "s.db": store("pairwise")}),
    Case("export_store_missing", ("annotate", "export", "{tmp}/typo.db", "--out", "{tmp}/o.jsonl"),
         ("typo.db", "no such annotation store")),
    Case("export_store_not_db", ("annotate", "export", "{tmp}/s.db", "--out", "{tmp}/o.jsonl"),
         ("s.db", "not an annotation store"), {"s.db": jsonl(PAIR)}),
    Case("export_out_suffix", ("annotate", "export", "{tmp}/s.db", "--out", "{tmp}/o.txt"), ("--out", "o.txt"),
         {"s.db": store("ranking")}),
    Case("export_several_kinds", ("annotate", "export", "{tmp}/s.db", "--out", "{tmp}/o.jsonl"),
         ("s.db", "pairwise, ranking", "--kind"), {"s.db": store("pairwise", "ranking"), "o.jsonl": "old\n"}),
    Case("export_kind_absent", ("annotate", "export", "{tmp}/s.db", "--kind", "step", "--out", "{tmp}/o.jsonl"),
         ("s.db", "no step judgements"), {"s.db": store("ranking"), "o.jsonl": "old\n"}),
    Case("export_out_is_folder", ("annotate", "export", "{tmp}/s.db", "--out", "{tmp}/o.jsonl"),
         ("o.jsonl", "is a folder"), {"s.db": store("ranking"), "o.jsonl": FOLDER}),
    Case("report_store_missing", ("annotate", "report", "{tmp}/typo.db"), ("typo.db", "no such annotation store")),
    Case("report_store_foreign", ("annotate", "report", "{tmp}/s.db"), ("s.db", "not an annotation store"),
         {"s.db": foreign_sqlite}),
    Case("report_store_empty", ("annotate", "report", "{tmp}/s.db"), ("s.db", "no pairwise or ranking"),
         {"s.db": store()}),
    Case("report_step_only", ("annotate", "report", "{tmp}/s.db"), ("s.db", "no pairwise or ranking"),
         {"s.db": store("step")}),
]

MODELS = [
    Case("length_bias_model_missing", ("length-bias", "--model", "{tmp}/rm", "--data", "{tmp}/p.jsonl"),
         ("--model", "rm"), {"p.jsonl": jsonl(PAIR)}),
    Case("length_bias_model_not_checkpoint", ("length-bias", "--model", "{tmp}/rm", "--data", "{tmp}/p.jsonl"),
         ("--model", "rm", "config.json"), {"p.jsonl": jsonl(PAIR), "rm": FOLDER}),
    Case("length_bias_data_missing", ("length-bias", "--model", "{tmp}/rm", "--data", "{tmp}/p.jsonl"),
         ("p.jsonl", "no data file"), {"rm": FOLDER}),
    Case("length_bias_row_field", ("length-bias", "--model", "{tmp}/rm", "--data", "{tmp}/p.jsonl"),
         ("p.jsonl:2", "rejected"), {"rm": FOLDER, "p.jsonl": jsonl(PAIR, {"prompt": "q", "chosen": "a"})}),
    Case("length_bias_max_length", ("length-bias", "--model", "{tmp}/rm", "--data", "{tmp}/p.jsonl",
                                    "--max-length", "0"), ("--max-length",), {"rm": FOLDER, "p.jsonl": jsonl(PAIR)}),
    Case("posthoc_nothing_to_fit", ("posthoc", "--model", "{tmp}/rm", "--reference", "{tmp}/p.jsonl"),
         ("--calibration", "--centering"), {"rm": FOLDER, "p.jsonl": jsonl(PAIR)}),
    Case("posthoc_model_is_file", ("posthoc", "--model", "{tmp}/rm", "--reference", "{tmp}/p.jsonl",
                                   "--centering", "global"), ("--model", "rm"),
         {"rm": "not a folder\n", "p.jsonl": jsonl(PAIR)}),
    Case("posthoc_reference_bad_json", ("posthoc", "--model", "{tmp}/rm", "--reference", "{tmp}/p.jsonl",
                                        "--centering", "global"), ("p.jsonl:1", "not valid JSON"),
         {"rm": FOLDER, "p.jsonl": "{\n"}),
    Case("score_model_missing", ("score", "--model", "{tmp}/missing", "--data", "{tmp}/p.jsonl"),
         ("--model", "missing"), {"p.jsonl": jsonl(PAIR)}),
    Case("eval_model_missing", ("eval", "--model", "{tmp}/missing", "--data", "{tmp}/p.jsonl"),
         ("missing",), {"p.jsonl": jsonl(PAIR)}),
    Case("train_data_missing", ("train", "--data", "{tmp}/missing.jsonl"), ("missing.jsonl", "no data file")),
]

CASES = REWARDS_SCORE + AGGREGATE + PRM + ANNOTATE + MODELS
