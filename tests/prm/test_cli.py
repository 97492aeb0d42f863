import json
import re

from workbench.cli import main


def test_verify_and_annotate_gsm8k_rows(tmp_path, capsys):
    data = tmp_path / "g.jsonl"
    rows = [{"question": "Q1", "answer": "2 + 2 = <<2+2=4>>4 apples\n4 * 3 = <<4*3=13>>13\n#### 13"},
            {"question": "Q2", "answer": "She is happy.\n#### 1"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["prm-verify", "--data", str(data)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"true": 1, "false": 1, "none": 1}
    out = tmp_path / "labelled.jsonl"
    assert main(["prm-annotate", "--data", str(data), "--output", str(out)]) == 0
    labelled = [json.loads(line) for line in out.read_text().splitlines()]
    assert labelled[0]["labels"] == [True, False] and labelled[1]["labels"] == [None]


def test_bad_json_names_the_record(tmp_path, capsys):
    """A bad row is the user's mistake: one line on stderr naming it, exit code 2 (workbench.errors)."""
    data = tmp_path / "bad.jsonl"
    data.write_text('{"prompt": "P", "completions": ["a"], "labels": [true]}\nnot json\n')
    assert main(["prm-verify", "--data", str(data)]) == 2
    assert re.search("record 1", capsys.readouterr().err)
    data.write_text('{"prompt": "P", "completions": ["a"], "labels": [3]}\n')
    assert main(["prm-verify", "--data", str(data)]) == 2
    assert re.search("record 0.*'labels'", capsys.readouterr().err)
