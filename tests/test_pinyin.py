"""Pinyin spellings: derived from the terms, every reading of a heteronym, cached per lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.text import pinyin


def test_mixed_and_full_spellings_are_derived_from_the_term() -> None:
    found = pinyin.compute(["最好"])["最好"]
    assert {"zui好", "最hao", "zuihao"} <= set(found)
    assert "最好" not in found


def test_every_reading_of_a_heteronym_is_spelled() -> None:
    found = pinyin.compute(["长效"])["长效"]
    assert {"changxiao", "zhangxiao"} <= set(found)


def test_short_all_latin_spellings_and_single_characters_are_left_out() -> None:
    assert pinyin.compute(["最"]) == {}
    assert all(len(s) >= pinyin.MIN_LATIN for s in pinyin.compute(["第一"])["第一"] if s.isascii())


def test_spellings_are_cached_and_a_new_lexicon_replaces_the_old_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_CACHE_DIR", str(tmp_path))
    first = pinyin.spellings(["最好"])
    assert first == pinyin.compute(["最好"])
    cached = list(tmp_path.glob("pinyin-*.json"))
    assert len(cached) == 1
    monkeypatch.setattr(pinyin, "compute", lambda keys: pytest.fail("the cache was not used"))
    assert pinyin.spellings(["最好"]) == first
    monkeypatch.undo()
    monkeypatch.setenv("GUARD_CACHE_DIR", str(tmp_path))
    pinyin.spellings(["第一"])
    assert [p.name for p in tmp_path.glob("pinyin-*.json")] != [cached[0].name]
    assert len(list(tmp_path.glob("pinyin-*.json"))) == 1
