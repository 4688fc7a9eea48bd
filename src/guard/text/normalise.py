"""One normalisation for text and lexicon, with a map back to original offsets.

Each original character becomes at most one normalised character, so the map is simply the list
of original positions that survive. The fold is one ``str.translate`` table built once:

- NFKC (full-width → half-width, ① → 1, Ｎｏ．１ → no.1, ㊄ → 五), then case folding; the digit
  styles NFKC leaves alone (❶ ➊ ➀ ⓵ ⓿) fold to their digit;
- traditional → simplified, from OpenCC's ``t2s`` table (a maintained library);
- characters that cloak a term are dropped: white space, zero-width and joiner characters,
  variation selectors, emoji and pictographs, and the noise symbols people insert between the
  characters of a term (最*好, 治.疗, 最 好, 最+好, 【最】【好】), and combining marks (根\u0301治,
  keycap digits). Clause punctuation (，。！？；：、 and their ASCII
  forms) is kept: it is a real boundary. ``/``, ``%``, ``&`` and ``®`` are kept because
  terms and exemption patterns use them.

A fold that would turn one character into several (™ → tm, ㎏ → kg) is not applied.
Repeated characters are not squashed here: the term inside a run (最最最好) is still a substring,
and the matcher widens the reported span over the repeats.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

_DROP_RANGES = (
    (0x0000, 0x0008), (0x000B, 0x000C), (0x000E, 0x001F), (0x007F, 0x009F),
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB),
    (0x2190, 0x21FF), (0x2300, 0x23FF), (0x2500, 0x27BF), (0x2900, 0x297F), (0x2B00, 0x2BFF),
    (0x1F000, 0x1FAFF), (0xE0000, 0xE007F),
    # combining marks: 根\u0301治 is 根治, and a keycap digit 0\uFE0F\u20E3 is 0
    (0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
)
_DROP_CHARS = " \t\u00a0\u3000*·•・‧∙⋅-_~～^`|\\#@=<>\"'‘’“”.…―—–‐‑‒﹏＿＊＃＠＝＜＞＂＇｜＼～＾｀．+＋【】〔〕［］[]"
# Digits that NFKC leaves alone: negative-circled, dingbat and double-circled 0–9.
_DIGIT_STYLES = {0x24FF: 0, **{0x2776 + i: i + 1 for i in range(9)}, **{0x2780 + i: i + 1 for i in range(9)},
                 **{0x278A + i: i + 1 for i in range(9)}, **{0x24F5 + i: i + 1 for i in range(9)}}


def _t2s_table() -> dict[int, str]:
    import opencc

    converter = opencc.OpenCC("t2s")
    table: dict[int, str] = {}
    for low, high in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)):
        source = "".join(chr(c) for c in range(low, high + 1))
        target = converter.convert(source)
        if len(target) != len(source):  # pragma: no cover - OpenCC keeps lengths for single characters
            target = "".join(converter.convert(ch) if len(converter.convert(ch)) == 1 else ch for ch in source)
        table.update({ord(a): b for a, b in zip(source, target) if a != b})
    return table


def _single(text: str) -> str | None:
    """Reduce a multi-character fold such as (1), 1. or (五) to its one meaningful character."""
    if len(text) == 1:
        return text
    core = text.strip("()[].")
    return core if len(core) == 1 else None


@cache
def fold_table() -> dict[int, int | None]:
    """The ``str.translate`` table: code point → folded code point, or None to drop it."""
    t2s = _t2s_table()
    table: dict[int, int | None] = {}
    candidates = [
        *range(0x0041, 0x005B), *range(0x00C0, 0x0250), *range(0x0370, 0x0530), *range(0x1E00, 0x2000),
        *range(0x2070, 0x20A0), *range(0x2100, 0x2190), *range(0x2460, 0x2500), *range(0x2C00, 0x2E80),
        *range(0x3000, 0x3400), *range(0xF900, 0xFB50), *range(0xFE10, 0xFE70), *range(0xFF00, 0xFFF0),
        *range(0x1D400, 0x1D800), *range(0x1F100, 0x1F1FF),
        *t2s,
    ]
    for code in candidates:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).casefold()
        folded = "".join(t2s.get(ord(c), c) for c in folded)
        single = _single(folded)
        if single is not None and single != ch:
            table[code] = ord(single)
    for low, high in _DROP_RANGES:
        for code in range(low, high + 1):
            table[code] = None
    for ch in _DROP_CHARS:
        table[ord(ch)] = None
    for code, digit in _DIGIT_STYLES.items():
        table[code] = ord(str(digit))
    for ch in _DROP_CHARS:  # full-width noise symbols fold to ASCII ones that are dropped too
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1:
            table[ord(folded)] = None
    return table


@cache
def dropped_pattern() -> re.Pattern[str]:
    """Matches one character that the fold drops."""
    codes = sorted(code for code, target in fold_table().items() if target is None)
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{parts}]")


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text, and the way back from its offsets to the original's."""

    original: str
    text: str

    def origin(self) -> Callable[[int], int]:
        """A function from a normalised offset to the original offset (built on demand: only texts with hits need it)."""
        if len(self.text) == len(self.original):
            return _identity
        dropped = [m.start() for m in dropped_pattern().finditer(self.original)]
        kept_before = [position - index for index, position in enumerate(dropped)]  # kept characters before each drop
        return lambda offset: offset + bisect.bisect_right(kept_before, offset)


def _identity(offset: int) -> int:
    return offset


def normalise(text: str) -> Normalised:
    return Normalised(text, text.translate(fold_table()))


def normalise_term(term: str) -> str:
    """A lexicon term, folded exactly as text is."""
    return term.translate(fold_table())
