"""run_programs: code as a program in the sandbox (for code steps), results as data."""
import os
import time

import pytest

from workbench.rewards import bwrap_path, run_programs

pytestmark = [pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed"), pytest.mark.slow]


def test_outputs_errors_and_timeouts():
    codes = ["import sys\nprint(sum(map(int, sys.stdin.read().split())))", "raise KeyError('x')",
             "import sys\nprint('partial')\nsys.exit(3)", "while True:\n    pass", "print(6 * 7)"]
    start = time.monotonic()
    results = run_programs(codes, ["1 2 3", "", "", "", ""], timeout=0.5)
    assert results == [("ok", "6\n"), ("error", "KeyError: 'x'"), ("error", "SystemExit: 3"), ("timeout", ""),
                       ("ok", "42\n")]
    assert time.monotonic() - start < 5


def test_programs_see_no_secrets_and_leave_nothing(tmp_path):
    os.environ["WORKBENCH_PROGRAM_SECRET"] = "hush"
    marker = tmp_path / "made-by-program"
    code = (f"import os, subprocess\nprint(os.environ.get('WORKBENCH_PROGRAM_SECRET'))\n"
            f"print(os.path.exists({str(tmp_path)!r}))\n"
            f"subprocess.Popen(['sleep', '77'], start_new_session=True)\n"
            f"open({str(marker)!r}, 'w')\n")
    status, text = run_programs([code], timeout=2.0)[0]
    assert status == "error" and "FileNotFoundError" in text  # the host folder does not exist inside
    status, text = run_programs([code.rsplit("\nopen", 1)[0]], timeout=2.0)[0]
    assert (status, text) == ("ok", "None\nFalse\n")
    assert not marker.exists()
    alive = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p) == "sleep 77"]
    assert alive == []


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def test_bad_input_names_the_row():
    with pytest.raises(ValueError, match="stdins"):
        run_programs(["print(1)", "print(2)"], ["only one"])
    with pytest.raises(ValueError, match=r"codes\[1\]"):
        run_programs(["print(1)", None])
