"""The banned-term matcher: Aho-Corasick over normalised text, verified against jieba tokens.

For each text:

1. normalise (``normalise.py``); run one automaton holding every term and allow phrase;
2. no term candidate → done (clean text never loads jieba);
3. drop candidates that lie entirely inside an allow phrase (第一次, 最近 ...);
4. verify each remaining candidate by its entry's mode: ``word`` must start and end on jieba
   token boundaries of its block, ``prefix`` must start on one (最高级 in 最高级的, 最新 in 最新款),
   ``substring`` needs no check; a Latin or digit term must not touch Latin letters or digits
   around it (top1 is not inside "stop10");
5. widen each hit over a run of its first character (最最最好); of overlapping hits keep the one
   that starts first, the longest at one start (全网最低价 over 最低, 加微信 over 微信私聊);
6. mark absolute-family hits covered by an exemption pattern (usage tips, self-comparison,
   standard grades, trademarks, objective facts) with the exemption, never dropping them;
7. decide the sense of every other hit (``senses.py``): a harmless use (the speaker's feelings,
   quantities, ordinals, ratings, set phrases, names) is dropped, an ambiguous one kept as advice;
   an absolute hit still standing as a claim is kept as advice when the head noun it modifies, found
   with jieba's parts of speech on its clause alone, is a person, place, time or idea, or when it sits
   in a complaint or a contradicted report (``referent.py``);
8. map spans back to original offsets.

Pattern entries (7天瘦10斤) run only in a window around one of their anchors (literals the
automaton finds in the same pass), and are checked only against Latin-word guards. Pinyin spellings of terms and allow phrases (zui好, 独yi无二, zuihao) are
derived from the terms by ``pinyin.py`` and held in the same automaton; they are verified by the
Latin-word guards alone, so a spelling inside a longer Latin word or model number is no hit.
Full-width, case, script, inserted symbols, combining marks and repeats are all folded.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import ahocorasick

from guard.data import data_dir, load_yaml
from guard.errors import RuleFileError
from guard.text.lexicon import Entry, Lexicon, bundled_lexicon
from guard.text.normalise import normalise, normalise_term
from guard.text.pinyin import spellings as pinyin_spellings
from guard.text.referent import SENTENCE_REACH, Referents, load_referents
from guard.text.segment import BLOCK, Segmenter
from guard.text.senses import Sense, load_senses

_ASCII_WORD = re.compile(r"[a-z0-9]")
_WINDOW = 48  # characters on each side of an anchor that a pattern may span
_BLOCK_CHAR = re.compile(BLOCK.pattern.removesuffix("+"))  # one character of a jieba block


@dataclass(frozen=True, slots=True)
class Exemption:
    id: str
    kind: str
    patterns: tuple[re.Pattern[str], ...]
    terms: frozenset[str]  # normalised
    reason_zh: str
    reason_en: str


@dataclass(frozen=True, slots=True)
class Hit:
    start: int  # original offsets
    end: int
    entry: Entry
    exemption: Exemption | None = None
    sense: Sense | None = None  # an ambiguous sense: the hit is advice only

    @property
    def advisory(self) -> bool:
        return self.exemption is not None or self.sense is not None


def load_exemptions(path: Path | None = None) -> tuple[Exemption, ...]:
    file = path if path is not None else data_dir("lexicons") / "exemptions.yaml"
    if not file.exists():
        return ()
    with file.open(encoding="utf-8") as fh:
        doc = load_yaml(fh) or {}
    found = []
    for raw in doc.get("entries") or []:
        try:
            patterns = tuple(re.compile(p) for p in raw["patterns"])
        except (KeyError, re.error) as exc:
            raise RuleFileError(str(file), f"exemption {raw.get('id')}: bad pattern: {exc}") from None
        found.append(Exemption(
            id=raw["id"], kind=raw["kind"], patterns=patterns,
            terms=frozenset(normalise_term(t) for t in raw.get("terms") or ()),
            reason_zh=raw["reason"]["zh"], reason_en=raw["reason"]["en"],
        ))
    return tuple(found)


_ORDINALS = {"第一": "第1", "第二": "第2", "第三": "第3"}


def _inside_allowed(allowed: list[tuple[int, int]], ends: list[int], start: int, end: int) -> bool:
    """Is [start, end) inside one allow-phrase occurrence? ``allowed`` is sorted by end (as found), ``ends`` its ends."""
    index = bisect.bisect_left(ends, end)
    for a, b in allowed[index:index + 16]:  # occurrences ending at or after ``end``, nearest first
        if a <= start:
            return True
        if b - end > 64:
            break
    return False


def _spellings(key: str) -> list[str]:
    """A folded term and its digit-style variants: ordinals are written 第一, 第1 or 第① (folded to 第1)."""
    if not key:
        return []
    variants = [key]
    for chinese, digit in _ORDINALS.items():
        if chinese in key:
            variants.append(key.replace(chinese, digit))
    return variants


_BLOCK_REACH = 128
CONTEXT = 256  # characters of the hit's line on each side that senses and exemptions may read
_CUT = "\x00"  # stands where a long line was cut: no pattern matches it, so ^ and $ mean real line ends


def _context(folded: str, start: int, end: int) -> tuple[str, int]:
    """The hit's line, cut to CONTEXT characters on each side; and the folded offset of its first character.

    Bounded so that one long line (a caption transcript without newlines) costs the same per hit as
    short ones: the whole text is never sliced or searched per hit.
    """
    low = max(0, start - CONTEXT)
    line_start = folded.rfind("\n", low, start) + 1 or low
    high = min(len(folded), end + CONTEXT)
    newline = folded.find("\n", end, high)
    line_end = newline if newline >= 0 else high
    head = _CUT if line_start == low and low > 0 and folded[low - 1] != "\n" else ""
    tail = _CUT if newline < 0 and high < len(folded) else ""
    return head + folded[line_start:line_end] + tail, line_start - len(head)


_UNJUDGED = object()
_JUDGED_CACHE = 8192  # referent judgements remembered per matcher


class _Blocks:
    """The jieba blocks of one text (runs of the characters jieba segments together), found on demand.

    A block longer than ``_BLOCK_REACH`` on either side of the position (a transcript without
    punctuation, a run of Latin letters) is cut there: jieba's tokens near the hit do not depend on
    text that far away, and segmenting or walking the whole run per hit would be quadratic.
    """

    def __init__(self, folded: str) -> None:
        self._folded = folded

    def at(self, position: int) -> tuple[int, str | None]:
        """The block holding ``position``, as (start, text), or (position, None) outside every block."""
        folded = self._folded
        is_block = _BLOCK_CHAR.match
        if not is_block(folded, position):
            return position, None
        floor = max(0, position - _BLOCK_REACH)
        # the run of block characters ending at ``position``, read backwards (a slice of at most
        # _BLOCK_REACH characters, reversed, and one match: not one match per character)
        run = BLOCK.match(folded[floor:position][::-1]) if position > floor else None
        start = position - (run.end() if run is not None else 0)
        block = BLOCK.match(folded, start, min(len(folded), position + _BLOCK_REACH))
        assert block is not None
        return start, block.group()

    def at_end(self, start: int, end: int, found: tuple[int, str]) -> tuple[int, str | None]:
        """``at(end - 1)`` for a hit at ``start:end`` whose start lies in the block ``found``.

        When the hit ends inside that block and the block was cut on neither side (within
        ``_BLOCK_REACH`` of both ends of the hit), it is the block ``at(end - 1)`` finds: no second walk.
        """
        block_start, block = found
        block_end = block_start + len(block)
        if end - 1 < block_end and end - 1 - block_start < _BLOCK_REACH and (
                block_end < start + _BLOCK_REACH or block_end == len(self._folded)):
            return found
        return self.at(end - 1)


class Matcher:
    """Finds lexicon terms in text; see the module docstring for the steps."""

    def __init__(self, lexicon: Lexicon, exemptions: Iterable[Exemption] = (), segmenter: Segmenter | None = None,
                 senses: Iterable[Sense] = (), pinyin: bool = True, referents: Referents | None = None) -> None:
        self.lexicon = lexicon
        self.exemptions = tuple(exemptions)
        self.referents = referents
        self.segmenter = segmenter or Segmenter()
        self._senses: dict[str, list[Sense]] = {}
        self._family_senses: dict[str, list[Sense]] = {}
        for sense in senses:
            for key in sense.terms:
                self._senses.setdefault(key, []).append(sense)
            for family in sense.families:
                self._family_senses.setdefault(family, []).append(sense)
        self._hit_senses: dict[tuple[str, str], tuple[Sense, ...]] = {}  # filled on first use by _senses_of
        # one value per key: (kind, length, entry, pinyin spelling?, indices of the patterns it anchors);
        # kind 1 is a term, 0 an allow phrase, 2 only an anchor
        values: dict[str, tuple[int, int, Entry | None, bool, tuple[int, ...]]] = {}
        seen: dict[str, Entry] = {}
        self._keys = {term: normalise_term(term) for term in lexicon.entries}
        self._judged: dict[tuple[str, int, int, str], Sense | None] = {}  # referent judgements by their window
        for term, entry in lexicon.entries.items():
            for key in _spellings(normalise_term(term)):
                if key in seen:  # spellings of one term (NO.1 / NO1) fold together; the first entry speaks for both
                    if seen[key].family != entry.family:
                        raise RuleFileError("lexicons/terms", f"{seen[key].term!r} ({seen[key].family}) and {term!r} "
                                            f"({entry.family}) normalise to the same text {key!r}")
                    continue
                seen[key] = entry
                values[key] = (1, len(key), entry, False, ())
        allow_keys = [normalise_term(phrase) for phrase in lexicon.allow]
        for key in allow_keys:
            if key and key not in values:
                values[key] = (0, len(key), None, False, ())
        if pinyin:
            self._add_pinyin(values, allow_keys)
        self._patterns = list(lexicon.patterns)
        anchored: dict[str, list[int]] = {}
        for index, pattern_entry in enumerate(self._patterns):
            for anchor in pattern_entry.anchors:
                anchored.setdefault(normalise_term(anchor), []).append(index)
        for key, indices in anchored.items():  # an anchor that is also a term or phrase rides on its value
            kind, length, entry, variant, _ = values.get(key, (2, len(key), None, False, ()))
            values[key] = (kind, length, entry, variant, tuple(indices))
        self._automaton = ahocorasick.Automaton()
        for key, value in values.items():
            self._automaton.add_word(key, value)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def _add_pinyin(self, values: dict[str, tuple[int, int, Entry | None, bool, tuple[int, ...]]],
                    allow_keys: list[str]) -> None:
        """Pinyin spellings of every term and allow phrase, unless the spelling is itself a key."""
        term_keys = {self._keys[term]: entry for term, entry in self.lexicon.entries.items()}
        variants = pinyin_spellings([*term_keys, *allow_keys])
        for key, entry in term_keys.items():
            for spelling in variants.get(key, ()):
                values.setdefault(spelling, (1, len(spelling), entry, True, ()))
        for key in allow_keys:
            for spelling in variants.get(key, ()):
                values.setdefault(spelling, (0, len(spelling), None, True, ()))

    def candidates(self, text: str) -> list[str]:
        """The raw term candidates in ``text`` (normalised), before any check: what a fixture can fail on."""
        if self._empty or not text:
            return []
        folded = normalise(text).text
        terms, _, anchors = self._raw(folded)
        return [entry.term for _, _, entry, _ in terms + self._pattern_hits(folded, anchors)]

    def _raw(self, folded: str) -> tuple[list[tuple[int, int, Entry, bool]], list[tuple[int, int]], list[tuple[int, int, int]]]:
        """Term candidates, allow-phrase spans and pattern anchors, in one automaton pass."""
        terms: list[tuple[int, int, Entry, bool]] = []
        allowed: list[tuple[int, int]] = []
        anchors: list[tuple[int, int, int]] = []
        add_term, add_allowed = terms.append, allowed.append
        for last, (kind, length, entry, variant, anchoring) in self._automaton.iter(folded):
            end = last + 1
            if kind == 1:
                add_term((end - length, end, entry, variant))
            elif kind == 0:
                add_allowed((end - length, end))
            if anchoring:
                anchors.extend((index, end - length, end) for index in anchoring)
        return terms, allowed, anchors

    def _pattern_hits(self, folded: str, anchors: list[tuple[int, int, int]]) -> list[tuple[int, int, Entry, bool]]:
        """Matches of each pattern within a window around each of its anchors, covering that anchor."""
        found: dict[tuple[int, int, int], tuple[int, int, Entry, bool]] = {}
        for index, start, end in anchors:
            entry = self._patterns[index]
            assert entry.pattern is not None
            for match in entry.pattern.finditer(folded, max(0, start - _WINDOW), min(len(folded), end + _WINDOW)):
                if match.start() <= start and end <= match.end() and match.end() > match.start():
                    found.setdefault((index, match.start(), match.end()), (match.start(), match.end(), entry, True))
        return list(found.values())

    def scan(self, text: str, senses_applied: list[tuple[str, str]] | None = None) -> list[Hit]:
        """Every verified hit in ``text``, in order, with original offsets.

        ``senses_applied``, when given, receives (term, sense id) for every sense that decided a hit,
        dropped ones included: what a fixture needs to show which sense it exercises.
        """
        if self._empty or not text:
            return []
        norm = normalise(text)
        folded = norm.text
        candidates, allowed, anchors = self._raw(folded)
        if anchors:
            candidates += self._pattern_hits(folded, anchors)
        if not candidates:
            return []
        if allowed:
            ends = [b for _, b in allowed]
            candidates = [c for c in candidates if not _inside_allowed(allowed, ends, c[0], c[1])]
        blocks = _Blocks(folded)
        verified = [(start, end, entry) for start, end, entry, variant in candidates
                    if self._aligned(folded, start, end, entry, variant, blocks)]
        if not verified:
            return []
        kept = self._longest(folded, verified)
        origin = norm.origin()
        hits = []
        for start, end, entry in kept:
            senses = self._senses_of(entry)
            exemption = sense = None
            referents = self.referents if self.referents is not None and entry.family in self.referents.families \
                else None
            if senses or entry.family == "absolute" or referents is not None:
                line, offset = _context(folded, start, end)  # read once; exemptions, senses and referents share it
                at, to = start - offset, end - offset
                exemption = self._exemption(line, at, to, entry) if entry.family == "absolute" else None
                sense = self._sense(line, at, to, senses) if exemption is None else None
                if referents is not None and exemption is None and sense is None:
                    key = self._keys.get(entry.term, entry.term)
                    sense = self._judge(referents, line, at, to, key)
            if sense is not None and senses_applied is not None:
                senses_applied.append((entry.term, sense.id))
            if sense is not None and sense.verdict == "drop":
                continue
            if sense is not None and sense.verdict == "claim":
                sense = None
            hits.append(Hit(origin(start), origin(end - 1) + 1, entry, exemption, sense))
        return hits

    def _judge(self, referents: Referents, line: str, start: int, end: int, key: str) -> Sense | None:
        """``referents.judge`` on the hit's sentence reach only, remembered by that text: hosts repeat lines.

        The judgement reads at most ``SENTENCE_REACH`` characters on each side of the hit, so judging
        the window alone gives the same answer as judging the whole line."""
        low, high = max(0, start - SENTENCE_REACH - 1), min(len(line), end + SENTENCE_REACH + 1)
        window = line[low:high]
        memo_key = (window, start - low, end - low, key)
        found = self._judged.get(memo_key, _UNJUDGED)
        if found is _UNJUDGED:
            if len(self._judged) >= _JUDGED_CACHE:
                self._judged.clear()
            found = self._judged[memo_key] = referents.judge(window, start - low, end - low, key, self.segmenter)
        return found

    def _senses_of(self, entry: Entry) -> tuple[Sense, ...]:
        """The senses a hit of ``entry`` may take: its term's, in file order, then its family's."""
        found = self._hit_senses.get((entry.term, entry.family))
        if found is None:
            found = tuple(self._senses.get(self._keys.get(entry.term, entry.term), [])) \
                + tuple(self._family_senses.get(entry.family, []))
            self._hit_senses[(entry.term, entry.family)] = found
        return found

    @staticmethod
    def _sense(line: str, start: int, end: int, senses: tuple[Sense, ...]) -> Sense | None:
        """The first of ``senses`` whose context fits the hit at ``start:end`` of its line."""
        for sense in senses:
            if sense.fits(line, start, end):
                return sense
        return None

    def _aligned(self, folded: str, start: int, end: int, entry: Entry, variant: bool, blocks: _Blocks) -> bool:
        if _ASCII_WORD.match(folded[start]) and start > 0 and _ASCII_WORD.match(folded[start - 1]):
            return False
        if (variant or entry.mode != "prefix") and _ASCII_WORD.match(folded[end - 1]) and end < len(folded) \
                and _ASCII_WORD.match(folded[end]):
            return False
        if variant or entry.mode == "substring":
            return True
        block_start, block = blocks.at(start)
        if block is None:
            return True  # the term starts with a character jieba never joins: already a boundary
        if (start - block_start) not in self.segmenter.boundaries(block):
            return False
        if entry.mode == "prefix":
            return True
        end_block_start, end_block = blocks.at_end(start, end, (block_start, block))
        if end_block is None:
            return True
        return (end - end_block_start) in self.segmenter.boundaries(end_block)

    @staticmethod
    def _longest(folded: str, hits: list[tuple[int, int, Entry]]) -> list[tuple[int, int, Entry]]:
        widened = []
        for start, end, entry in hits:
            first = folded[start]
            while start > 0 and folded[start - 1] == first and not first.isdigit():
                start -= 1
            widened.append((start, end, entry))
        widened.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        kept: list[tuple[int, int, Entry]] = []
        reach = -1  # end of the last kept hit: a hit starting before it overlaps that hit
        for hit in widened:
            if hit[0] < reach:
                continue  # inside or overlapping an earlier (or, at the same start, longer) hit
            kept.append(hit)
            reach = hit[1]
        return kept

    def _exemption(self, line: str, start: int, end: int, entry: Entry) -> Exemption | None:
        """The first exemption whose pattern covers the hit at ``start:end`` of its line."""
        key = self._keys.get(entry.term, entry.term)
        for exemption in self.exemptions:
            if key not in exemption.terms:
                continue
            for pattern in exemption.patterns:
                for found in pattern.finditer(line):
                    if found.start() <= start and end <= found.end():
                        return exemption
                    if found.start() > start:
                        break
        return None


@cache
def bundled_matcher() -> Matcher:
    return Matcher(bundled_lexicon(), load_exemptions(), senses=load_senses(), referents=load_referents())

