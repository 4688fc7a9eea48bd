"""Referents: is an absolute claim about the goods, or about a place, a person, a time or an idea?

A superlative breaks the advertising law when it describes the goods, the service, the price or the
shop. In real speech and writing the same words describe other things (老城区最大的公园, 顶尖演员,
全球最古老的文明), sit in complaints (最寒碜的是外包装) or report a claim only to contradict it
(号称全网最低价，其实……). For an absolute hit that no sense or exemption has decided, this module
tags the hit's clause with jieba's parts of speech (computed on that clause only, cached), finds the
head noun the hit modifies (or, for a predicate such as 风险最大, its subject), and classifies it with
the word classes of ``lexicons/referents.yaml``.
A hit about something that is not the goods is kept as advice (an ``info`` sense), never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from guard.data import data_dir, load_yaml
from guard.errors import RuleFileError
from guard.text.normalise import normalise_term
from guard.text.senses import Sense

CLAUSE_REACH = 24  # characters on each side of a hit that its clause may span
SENTENCE_REACH = 48  # characters on each side that a reported claim and its contradiction may span
_CLAUSE_END = re.compile(r"[,.!?;:。、…\"“”‘’'()（）《》〈〉「」『』\[\]【】~\x00\n]")
_SENTENCE_END = re.compile(r"[.!?。…\x00\n]")
_NOUN = ("n", "t", "s", "vn", "an")  # tag prefixes of noun-like tokens
_NOUN_IN_RUN = ("n", "vn", "an")  # a time or place word after a noun starts an adverbial, not a longer noun
_SKIP_BEFORE_HEAD = ("m", "q", "a", "b", "f", "d", "z", "v")  # modifiers between 的 and its head noun
_ADJECTIVE = ("a",)  # a predicate with these tags describes its subject (风险最大); a verb's subject is its agent
_GOVERNS_OBJECT = ("v", "p")  # a noun after these is an object (让妈妈最放心), not the subject
_SCOPE_KINDS = ("place", "time")  # right before a predicate these bound the comparison (全省最大, 今年最好)


class Tagger(Protocol):
    def tags(self, text: str) -> tuple[tuple[str, str], ...]: ...


@dataclass(frozen=True, slots=True)
class WordClass:
    """Nouns of one kind, recognised by word or by final characters (in a word of two or more).

    jieba's name tags (nr, ns, nt) are not used: on a clause alone they mislabel common nouns
    (海鲜 as a place, 高峰 as a person) often enough to cost real claims.
    """

    words: frozenset[str]
    suffixes: tuple[str, ...]

    def holds(self, word: str) -> bool:
        return word in self.words or (len(word) >= 2 and word.endswith(self.suffixes))


def _sense(raw: dict, verdict: str = "info") -> Sense:
    reason = raw.get("reason") or {}
    return Sense(id=str(raw["id"]), kind=str(raw.get("kind", "other")), verdict=verdict, terms=frozenset(),
                 families=frozenset(), before=None, after=None, reason_zh=str(reason["zh"]),
                 reason_en=str(reason["en"]))


def _words(raw: dict | None, key: str) -> frozenset[str]:
    return frozenset(normalise_term(str(w)) for w in ((raw or {}).get(key) or ()))


@dataclass(frozen=True)
class Referents:
    """The word classes of ``referents.yaml`` and the judgement they support."""

    families: frozenset[str]
    degree_endings: tuple[str, ...]  # a hit ending so (最, 全国最) is followed by its adjective
    goods: WordClass
    goods_context: tuple[str, ...]
    heads: tuple[tuple[WordClass, Sense], ...]
    pronouns: frozenset[str]
    copulas: frozenset[str]
    complaint_words: frozenset[str]
    complaint_prefixes: tuple[str, ...]
    complaint: Sense
    advice_terms: frozenset[str]
    advice_tags: tuple[str, ...]
    advice_adverbs: frozenset[str]
    advice: Sense
    reported_before: tuple[str, ...]
    reported_contrast: tuple[str, ...]
    reported: Sense

    def senses(self) -> tuple[Sense, ...]:
        """Every advice this module can give, in the order it is tried."""
        return (self.complaint, self.advice, self.reported, *(sense for _, sense in self.heads))

    def judge(self, line: str, start: int, end: int, key: str, tagger: Tagger) -> Sense | None:
        """The advice for the absolute hit ``line[start:end]`` (term ``key``, normalised), or None: a claim."""
        degree = line[start:end].endswith(self.degree_endings)
        clause_start = _clause_start(line, start)
        clause_end = _clause_end(line, end)
        right = tagger.tags(line[end:clause_end]) if end < clause_end else ()
        if degree and right and self._complains(right[0][0]):
            return self.complaint
        if key in self.advice_terms and _advises(line, start, right, self.advice_tags, self.advice_adverbs):
            return self.advice
        if self._reported(line, start, end):
            return self.reported
        left_text = line[clause_start:start]
        if any(cue in left_text or cue in line[end:clause_end] for cue in self.goods_context):
            return None
        head = _head(right, degree)
        if head is None:  # the left side is tagged only now, for the few hits that reach here
            left = tagger.tags(left_text) if left_text else ()
            return self._predicate_sense(line[start:end], degree, right, left, tagger)
        if self.goods.holds(head):
            return None
        sense = self._class_of(head)
        if sense is None:
            return None
        return None if left_text and self._goods_is_subject(tagger.tags(left_text)) else sense

    def _predicate_sense(self, hit: str, degree: bool, right: Sequence[tuple[str, str]],
                         left: Sequence[tuple[str, str]], tagger: Tagger) -> Sense | None:
        """The advice for a hit with no head noun (风险最大, 他在我们那儿家喻户晓): its subject's word class.

        A third-person pronoun opening the clause is a person. Otherwise only an adjective predicate (最大,
        最|辛苦) has a subject that it describes; the subject is the noun just before the hit, past any
        scope of the comparison (全省, 今年, 世界上) and adverbs or copulas, and never a verb's or a
        preposition's object (让妈妈最放心: the goods are the hidden subject). Any goods noun before
        the hit keeps the claim.
        """
        pronoun = _pronoun_subject(left)
        if pronoun is not None and pronoun in self.pronouns:
            return self._sense_of_kind("person")
        if not left or any(_is_noun(tag) and self.goods.holds(word) for word, tag in left):
            return None
        if not _predicate_tag(hit, degree, right, tagger).startswith(_ADJECTIVE):
            return None
        subject = self._subject_noun(left)
        if subject is None:
            return None
        return self._class_of(subject)

    def _subject_noun(self, left: Sequence[tuple[str, str]]) -> str | None:
        """The last noun of the noun run that is the subject of a predicate right after ``left``."""
        index = len(left) - 1
        while index >= 0 and self._is_scope(left, index):  # 全省|最大, 今年|最好, 地球表面上|最大
            if left[index][1].startswith("f"):
                index -= 1
                while index > 0 and _is_noun(left[index - 1][1]):
                    index -= 1
            index -= 1
        while index >= 0 and (left[index][1].startswith("d") or left[index][0] in self.copulas):
            index -= 1
        if index < 0 or not _is_noun(left[index][1]):
            return None
        first = index
        while first > 0 and _is_noun(left[first - 1][1]):
            first -= 1
        if first > 0 and left[first - 1][1].startswith(_GOVERNS_OBJECT):
            return None
        return left[index][0]

    def _is_scope(self, left: Sequence[tuple[str, str]], index: int) -> bool:
        """A place or time word, or a noun and a localiser, that bounds the comparison rather than being compared."""
        word, tag = left[index]
        if tag.startswith("f"):
            return index > 0 and _is_noun(left[index - 1][1])
        if not _is_noun(tag):
            return False
        sense = self._class_of(word)
        return sense.kind in _SCOPE_KINDS if sense is not None else tag.startswith(("t", "s"))

    def _class_of(self, noun: str) -> Sense | None:
        """The advice of the first word class (``heads``) that holds ``noun``, or None."""
        return next((sense for word_class, sense in self.heads if word_class.holds(noun)), None)

    def _sense_of_kind(self, kind: str) -> Sense | None:
        return next((sense for _, sense in self.heads if sense.kind == kind), None)

    def _goods_is_subject(self, left: Sequence[tuple[str, str]]) -> bool:
        """Goods before a copula (这本书是孩子最好的老师): the head is a metaphor for the goods."""
        copulas = [i for i, (word, _) in enumerate(left) if word in self.copulas]
        if not copulas:
            return False
        return any(_is_noun(tag) and self.goods.holds(word) for word, tag in left[:copulas[-1]])

    def _complains(self, word: str) -> bool:
        return word in self.complaint_words or word.startswith(self.complaint_prefixes)

    def _reported(self, line: str, start: int, end: int) -> bool:
        low = _sentence_start(line, start)
        high = _sentence_end(line, end)
        before, after = line[low:start], line[end:high]
        return any(w in before for w in self.reported_before) and any(w in after for w in self.reported_contrast)


def _clause_start(line: str, start: int) -> int:
    low = max(0, start - CLAUSE_REACH)
    for index in range(start - 1, low - 1, -1):
        if _CLAUSE_END.match(line, index):
            return index + 1
    return low


def _clause_end(line: str, end: int) -> int:
    found = _CLAUSE_END.search(line, end, min(len(line), end + CLAUSE_REACH))
    return found.start() if found else min(len(line), end + CLAUSE_REACH)


def _sentence_start(line: str, start: int) -> int:
    low = max(0, start - SENTENCE_REACH)
    for index in range(start - 1, low - 1, -1):
        if _SENTENCE_END.match(line, index):
            return index + 1
    return low


def _sentence_end(line: str, end: int) -> int:
    found = _SENTENCE_END.search(line, end, min(len(line), end + SENTENCE_REACH))
    return found.start() if found else min(len(line), end + SENTENCE_REACH)


def _advises(line: str, start: int, right: Sequence[tuple[str, str]], tags: tuple[str, ...],
             adverbs: frozenset[str]) -> bool:
    """最好 + an action (最好先试穿, 最好不住), not the predicate of a claim (是最好的, 质量最好也最耐用)."""
    if not right or (start > 0 and line[start - 1] in "是的"):
        return False
    word, tag = right[0]
    if not (tag.startswith(tags) or word in adverbs):
        return False
    return len(right) < 2 or right[1][0] != "的"


def _is_noun(tag: str) -> bool:
    return tag.startswith(_NOUN)


def _noun_run_head(tokens: Sequence[tuple[str, str]], index: int) -> str | None:
    """The last noun of the run of nouns starting at ``index`` (a Chinese noun phrase ends in its head)."""
    if index >= len(tokens) or not _is_noun(tokens[index][1]):
        return None
    while index + 1 < len(tokens) and tokens[index + 1][1].startswith(_NOUN_IN_RUN):
        index += 1
    return tokens[index][0]


def _head(tokens: Sequence[tuple[str, str]], degree: bool) -> str | None:
    """The head noun that the hit before ``tokens`` modifies, if the clause shows one."""
    index = 1 if degree else 0  # a degree hit (最) is followed by its adjective first
    if degree and len(tokens) > 2 and tokens[1][0] not in ("的", "之") and not _is_noun(tokens[1][1]):
        index = 2  # a two-token adjective (最|不|方便) or adverb and adjective
    if index >= len(tokens):
        return None
    if tokens[index][0] in ("的", "之"):
        index += 1
        skipped = 0
        while index < len(tokens) and skipped < 3 and tokens[index][1].startswith(_SKIP_BEFORE_HEAD) \
                and not _is_noun(tokens[index][1]):
            index += 1
            skipped += 1
        return _noun_run_head(tokens, index)
    if not degree:
        return _noun_run_head(tokens, index)
    return None


def _predicate_tag(hit: str, degree: bool, right: Sequence[tuple[str, str]], tagger: Tagger) -> str:
    """The part of speech of the predicate: the word after a degree hit (最|辛苦), else the hit's own (最大)."""
    tokens = right if degree else tagger.tags(hit)
    if not tokens:
        return ""
    return tokens[0][1] if degree else tokens[-1][1]


def _pronoun_subject(tokens: Sequence[tuple[str, str]]) -> str | None:
    """The clause's subject for a predicative hit (他在我们那儿家喻户晓), when it is a pronoun among its first tokens."""
    for index, (word, tag) in enumerate(tokens[:3]):
        if tag == "r":
            following = tokens[index + 1][0] if index + 1 < len(tokens) else ""
            return None if following.startswith("家") else word  # 他们家 is a shop
    return None


def load_referents(path: Path | None = None) -> Referents | None:
    """Read ``referents.yaml`` (default: bundled); None when there is none; a mistake is a RuleFileError."""
    file = path if path is not None else data_dir("lexicons") / "referents.yaml"
    if not file.exists():
        return None
    try:
        with file.open(encoding="utf-8") as fh:
            doc = load_yaml(fh) or {}
        goods = doc.get("goods") or {}
        heads = []
        for raw in doc.get("heads") or []:
            heads.append((WordClass(_words(raw, "words"), tuple(raw.get("suffixes") or ())), _sense(raw)))
        complaint = doc["complaint"]
        reported = doc["reported"]
        advice = doc["advice"]
        return Referents(
            families=frozenset(doc.get("families") or ()),
            degree_endings=tuple(doc.get("degree_endings") or ()),
            goods=WordClass(_words(goods, "words"), tuple(goods.get("suffixes") or ())),
            goods_context=tuple(sorted(_words(goods, "context"))),
            heads=tuple(heads),
            pronouns=_words(doc, "subject_pronouns"),
            copulas=_words(goods, "copulas"),
            complaint_words=_words(complaint, "words"),
            complaint_prefixes=tuple(complaint.get("prefixes") or ()),
            complaint=_sense(complaint),
            advice_terms=_words(advice, "terms"),
            advice_tags=tuple(advice.get("tags") or ()),
            advice_adverbs=_words(advice, "adverbs"),
            advice=_sense(advice),
            reported_before=tuple(sorted(_words(reported, "before"))),
            reported_contrast=tuple(sorted(_words(reported, "contrast"))),
            reported=_sense(reported),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise RuleFileError(str(file), f"cannot read referents: {exc!r}") from exc
