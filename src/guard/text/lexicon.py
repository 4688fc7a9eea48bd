"""Lexicons: banned terms with family, tier, note, rewrites, scope and citation; allow phrases.

A term file may also hold ``patterns``: regular expressions over normalised text for claims that
no word list can enumerate (7天瘦10斤, 3天见效). Each pattern entry carries the same fields as a
term, with ``name`` standing for the term in findings, and ``anchors``: literals that every match
contains. The matcher finds anchors with its automaton and runs a pattern only around them, so
text without an anchor costs no regular-expression search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from guard.data import data_dir, load_yaml
from guard.errors import RuleFileError

FAMILIES = ("absolute", "medical", "unverifiable", "inducement", "diversion", "disclosure",
            "disparagement", "guarantee", "counterfeit")
MODES = ("word", "prefix", "substring")
ALL_PLATFORMS = ("wechat", "douyin", "taobao")


@dataclass(frozen=True, slots=True)
class Entry:
    term: str
    family: str
    tier: str
    mode: str
    note: str
    rewrites: tuple[str, ...]
    allowed_categories: frozenset[str]
    platforms: frozenset[str]
    cite: tuple[dict[str, Any], ...]
    pattern: re.Pattern[str] | None = None  # a pattern entry: ``term`` is its name
    anchors: tuple[str, ...] = ()  # a pattern entry's literals: the pattern runs only near one of them


@dataclass(frozen=True)
class Lexicon:
    entries: dict[str, Entry]
    allow: tuple[str, ...]
    patterns: tuple[Entry, ...] = ()


def _load(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return load_yaml(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(str(path), f"cannot read lexicon: {exc}") from exc


def load_lexicon(root: str | Path | None = None) -> Lexicon:
    """Read every ``terms/*.yaml`` file and ``allow.yaml`` under ``root`` (default: bundled)."""
    base = Path(root) if root is not None else data_dir("lexicons")
    entries: dict[str, Entry] = {}
    patterns: list[Entry] = []
    for path in sorted((base / "terms").glob("*.yaml")):
        doc = _load(path)
        if not isinstance(doc, dict) or doc.get("family") not in FAMILIES:
            raise RuleFileError(str(path), f"a lexicon file names its family, one of {FAMILIES}")
        family, default_tier = doc["family"], doc.get("default_tier", "general")
        for raw in doc.get("entries") or []:
            term = str(raw.get("term", "")).strip()
            if not term:
                raise RuleFileError(str(path), f"entry without a term: {raw!r}")
            if term in entries:
                raise RuleFileError(str(path), f"term {term!r} is listed twice (also in {entries[term].family})")
            mode = raw.get("mode", "word")
            if mode not in MODES:
                raise RuleFileError(str(path), f"term {term!r}: mode must be one of {MODES}")
            rewrites = raw.get("rewrites") or []
            entries[term] = Entry(
                term=term,
                family=family,
                tier=raw.get("tier", default_tier),
                mode=mode,
                note=str(raw.get("note", "")),
                rewrites=tuple(str(r) for r in rewrites),
                allowed_categories=frozenset(raw.get("allowed_categories") or ()),
                platforms=frozenset(raw.get("platforms") or ALL_PLATFORMS),
                cite=tuple(raw.get("cite") or doc.get("cite") or ()),
            )
        for raw in doc.get("patterns") or []:
            name = str(raw.get("name", "")).strip()
            try:
                compiled = re.compile(str(raw["pattern"]))
            except (KeyError, re.error) as exc:
                raise RuleFileError(str(path), f"pattern {name!r}: bad or missing pattern: {exc}") from None
            if not name:
                raise RuleFileError(str(path), f"pattern without a name: {raw!r}")
            anchors = tuple(str(a) for a in raw.get("anchors") or ())
            if not anchors:
                raise RuleFileError(str(path), f"pattern {name!r}: list the anchors (literals every match contains)")
            patterns.append(Entry(
                term=name, family=family, tier=raw.get("tier", default_tier), mode="substring",
                note=str(raw.get("note", "")), rewrites=tuple(str(r) for r in raw.get("rewrites") or []),
                allowed_categories=frozenset(raw.get("allowed_categories") or ()),
                platforms=frozenset(raw.get("platforms") or ALL_PLATFORMS),
                cite=tuple(raw.get("cite") or doc.get("cite") or ()), pattern=compiled, anchors=anchors,
            ))
    allow: list[str] = []
    allow_path = base / "allow.yaml"
    if allow_path.exists():
        doc = _load(allow_path) or {}
        allow = [str(e["phrase"]) for e in doc.get("entries") or []]
    return Lexicon(entries, tuple(allow), tuple(patterns))


@cache
def bundled_lexicon() -> Lexicon:
    return load_lexicon()
