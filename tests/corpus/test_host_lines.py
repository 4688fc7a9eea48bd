"""The reviewers' host lines (tests/corpus/host_lines): the loader, the split, and floors under today's figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "corpus" / "host_lines"))
sys.path.insert(0, str(ROOT / "bench"))

from host_lines import FILES, HostLine, load  # noqa: E402


def test_every_file_is_read_and_well_formed() -> None:
    lines = load()
    assert {line.file for line in lines} == set(FILES)
    assert sum(line.claim for line in lines) >= 600 and sum(not line.claim for line in lines) >= 600


def test_a_bad_label_or_a_line_repeated_in_one_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("claim\t最好的面霜\nmaybe\t第一次来\n", encoding="utf-8")
    with pytest.raises(ValueError, match="a.tsv:2"):
        load(("a.tsv",), tmp_path)
    (tmp_path / "b.tsv").write_text("ok\t第一次来\nok\t第一次来\n", encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        load(("b.tsv",), tmp_path)


def test_a_line_an_earlier_file_holds_counts_once(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("ok\t第一次来\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("ok\t第一次来\nclaim\t全网最低\n", encoding="utf-8")
    assert [(line.file, line.text) for line in load(("a.tsv", "b.tsv"), tmp_path)] == \
        [("a.tsv", "第一次来"), ("b.tsv", "全网最低")]


def test_the_half_is_fixed_by_the_text_and_files_read_whole_while_tuning_are_tune() -> None:
    halves = {HostLine("mixed.tsv", n, True, text).half for n, text in enumerate("甲乙丙丁戊己庚辛壬癸")}
    assert halves == {"tune", "report"}  # both halves occur
    assert HostLine("mixed.tsv", 1, True, "全网最低").half == HostLine("mixed.tsv", 9, False, "全网最低").half
    assert all(line.half == "tune" for line in load() if line.file == "zui.tsv")
    report = [line for line in load() if line.half == "report"]
    assert len(report) >= 400


def test_floors_under_todays_figures() -> None:
    """Regression guards under bench/eval_host_lines.py's figures, not targets."""
    from eval_host_lines import flagged, score

    from guard.lint import Linter

    linter = Linter()
    lines = load()
    verdicts = {line.text: flagged(linter, line.text) for line in lines}
    floors = {"tune": (0.90, 0.02), "report": (0.63, 0.05)}
    for half, (caught_at_least, flagged_at_most) in floors.items():
        caught, claims, false, harmless = score([line for line in lines if line.half == half], verdicts)
        assert caught / claims >= caught_at_least and false / harmless <= flagged_at_most, (half, caught, false)
