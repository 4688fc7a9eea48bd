"""Without the flink extra (as in make test's main environment), the Flink job says so in one line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from guard.cli import main

if importlib.util.find_spec("pyflink") is not None:
    pytest.skip("pyflink is installed here: its absence cannot be seen", allow_module_level=True)


def test_without_pyflink_the_command_says_so_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "room_created", "at": "2026-11-26T20:00:00+08:00", "room": "R1"}\n', "utf-8")
    code = main(["monitor", "flink", str(events), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("guard: the Flink job needs the flink extra: pip install 'guard[flink]' "
                   "(pyflink is not installed here)\n")


def test_without_pyflink_the_job_module_says_so_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "guard.stream", str(tmp_path / "events.jsonl"), "--output",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("guard: the Flink job needs the flink extra: pip install 'guard[flink]' "
                           "(pyflink is not installed here)\n")
