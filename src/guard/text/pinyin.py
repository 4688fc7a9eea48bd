"""Pinyin spellings of lexicon terms, derived from the terms themselves with pypinyin.

Hosts and sellers dodge word filters by writing a term wholly or partly in pinyin: zui好, 独yi无二,
zuihao, di yi (spaces are dropped by normalisation, so this is diyi). For every term and allow phrase
of two to six Chinese characters this module derives the spellings in which any characters are
replaced by their toneless pinyin, every reading of a heteronym included (长效 is changxiao and
zhangxiao). The matcher adds them to its automaton and verifies them with Latin-word guards only:
a spelling that touches other Latin letters or digits (Audi yields → audiyields holds diyi) is no
hit, which keeps brand names and model numbers clean.

pypinyin takes about 0.3 s to import, so the spellings are computed once per lexicon and kept in
guard's cache directory (install steps build it, as they build jieba's dictionary cache).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable

from guard.text.segment import cache_dir

MIN_CHARS, MAX_CHARS = 2, 6
MAX_SPELLINGS = 96  # per term; a six-character term with two readings somewhere stays well inside
MIN_LATIN = 4  # an all-pinyin spelling shorter than this (e.g. "ji") is too common to mean the term
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_VERSION = "1"


def _readings(text: str) -> list[list[str]]:
    """Toneless readings per character: the phrase reading first, then every other reading."""
    from pypinyin import Style, lazy_pinyin, pinyin

    phrase = lazy_pinyin(text, style=Style.NORMAL)
    every = pinyin(text, style=Style.NORMAL, heteronym=True)
    readings = []
    for first, others in zip(phrase, every):
        found = [first] + [r for r in others if r != first]
        readings.append([r for r in dict.fromkeys(found[:3]) if r.isascii() and r.isalpha()])
    return readings


def _variants(key: str) -> list[str]:
    readings = _readings(key)
    if any(not r for r in readings):
        return []
    choices = [[ch, *options] for ch, options in zip(key, readings)]
    found = []
    for combo in itertools.product(*choices):
        spelling = "".join(combo)
        if spelling == key:
            continue
        if spelling.isascii() and len(spelling) < MIN_LATIN:
            continue
        found.append(spelling)
        if len(found) >= MAX_SPELLINGS:
            break
    return found


def eligible(key: str) -> bool:
    return MIN_CHARS <= len(key) <= MAX_CHARS and _HAN.fullmatch(key) is not None


def compute(keys: Iterable[str]) -> dict[str, list[str]]:
    """Pinyin spellings for each eligible key (normalised term or phrase)."""
    return {key: _variants(key) for key in sorted(set(keys)) if eligible(key)}


def spellings(keys: Iterable[str]) -> dict[str, list[str]]:
    """Like :func:`compute`, read from guard's cache directory when this exact key set was seen before."""
    wanted = sorted({key for key in keys if eligible(key)})
    digest = hashlib.sha256(("\n".join([_VERSION, *wanted])).encode("utf-8")).hexdigest()[:24]
    directory = cache_dir()
    path = directory / f"pinyin-{digest}.json" if directory is not None else None
    if path is not None and path.exists():
        try:
            with path.open(encoding="utf-8") as fh:
                cached = json.load(fh)
            if isinstance(cached, dict):
                return cached
        except (OSError, ValueError):
            pass
    found = compute(wanted)
    if path is not None and directory is not None:
        try:
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
            temporary.replace(path)
            for stale in directory.glob("pinyin-*.json"):  # spellings of earlier lexicons
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError:
            pass
    return found
