"""Properties of the text path: offsets, evasion, allow phrases, arbitrary input."""

from __future__ import annotations

from collections import Counter

import opencc
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from guard.lint import Linter
from guard.text.lexicon import bundled_lexicon
from guard.text.matcher import Matcher, load_exemptions
from guard.text.normalise import fold_table, normalise, normalise_term
from guard.text.segment import Segmenter

LEXICON = bundled_lexicon()
TERMS = sorted(t for t in LEXICON.entries if len(t) >= 2)
ALLOW = sorted(LEXICON.allow)
SEPARATORS = [" ", "*", ".", "\u200b", "\u200d", "🔥", "✨", "·", "-", "_", "~", "\u3000", "｜"]
FRAMES = [("这款", "。"), ("", ""), ("大家看，", "！"), ("我跟你们说", "，真的")]
CJK_TEXT = st.text(st.sampled_from(list("这款面料很舒服大家可以看一下今天直播间价格是元好最第一次近后")), max_size=30)

settings.register_profile("guard", suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
settings.load_profile("guard")


@pytest.fixture(scope="module")
def linter() -> Linter:
    return Linter()


def families(linter: Linter, text: str, platform: str = "douyin") -> Counter[str]:
    return Counter(f.family or "" for f in linter.line(text, 1, platform=platform) if f.family)


@given(st.text(max_size=200))
def test_any_unicode_input_gives_valid_offsets(text: str) -> None:
    report = Linter().text(text)
    for finding in report:
        assert text[finding.start:finding.end] == finding.matched
        assert 0 <= finding.start < finding.end <= len(text)


@given(term=st.sampled_from(TERMS), frame=st.sampled_from(FRAMES),
       seps=st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=40))
def test_inserted_separators_never_hide_a_term(linter: Linter, term: str, frame: tuple[str, str], seps: list[str]) -> None:
    plain = frame[0] + term + frame[1]
    expected = families(linter, plain)
    assume(expected)
    cloaked = "".join(term[i] + (seps[i % len(seps)] if i < len(term) - 1 else "") for i in range(len(term)))
    text = frame[0] + cloaked + frame[1]
    assert families(linter, text) == expected
    for finding in linter.line(text, 1, platform="douyin"):
        assert text[finding.start:finding.end] == finding.matched


@given(term=st.sampled_from(TERMS), frame=st.sampled_from(FRAMES))
def test_full_width_and_case_never_hide_a_term(linter: Linter, term: str, frame: tuple[str, str]) -> None:
    plain = frame[0] + term + frame[1]
    expected = families(linter, plain)
    assume(expected)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    assert families(linter, frame[0] + wide + frame[1]) == expected
    assert families(linter, frame[0] + term.swapcase() + frame[1]) == expected


def test_traditional_script_folds_to_every_term() -> None:
    """Writing a term in traditional characters gives the same folded text, so it is matched the same."""
    to_traditional = opencc.OpenCC("s2t")
    for term in LEXICON.entries:
        assert normalise_term(to_traditional.convert(term)) == normalise_term(term), term


@given(left=CJK_TEXT, right=CJK_TEXT, phrase=st.sampled_from(ALLOW))
def test_an_allow_phrase_never_adds_a_finding(linter: Linter, left: str, right: str, phrase: str) -> None:
    without = linter.line(f"{left}，，{right}", 1, platform="douyin")
    with_phrase = linter.line(f"{left}，{phrase}，{right}", 1, platform="douyin")
    assert Counter((f.rule, f.matched) for f in with_phrase) == Counter((f.rule, f.matched) for f in without)


def test_clean_text_never_loads_the_segmenter() -> None:
    matcher = Matcher(LEXICON, load_exemptions(), segmenter=Segmenter())
    assert matcher.scan("大家好，今天给大家带来一款纯棉T恤，颜色有黑白两种。第一次来的朋友点个关注。") == []
    assert not matcher.segmenter.loaded
    assert [h.entry.term for h in matcher.scan("这个颜色最好看")] == ["最好看"]
    assert matcher.segmenter.loaded


def test_normalised_offsets_point_back() -> None:
    norm = normalise("最 *好ＮＯ．１")
    assert norm.text == "最好no1"
    origin = norm.origin()
    assert [origin(i) for i in range(len(norm.text))] == [0, 3, 4, 5, 7]


@given(st.text(max_size=80))
def test_origin_maps_every_kept_character(text: str) -> None:
    norm = normalise(text)
    origin = norm.origin()
    positions = [origin(i) for i in range(len(norm.text))]
    assert positions == sorted(set(positions))
    assert all(0 <= p < len(text) for p in positions)
    assert "".join(text[p] for p in positions).translate(fold_table()) == norm.text


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch) -> None:
    from guard.text.segment import cache_dir

    monkeypatch.setenv("GUARD_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    monkeypatch.setenv("GUARD_CACHE_DIR", str(tmp_path / "file" / "below"))
    assert cache_dir() is None


def test_one_long_line_finds_what_the_same_lines_find() -> None:
    """A transcript without newlines: the bounded context and jieba window give the same hits."""
    from pathlib import Path

    lines = [line for line in (Path(__file__).parent / "fixtures" / "lint" / "absolute.txt").read_text(
        encoding="utf-8").splitlines() if line and not line.startswith("#") and line.endswith("。")]
    linter = Linter()
    with_newlines = linter.text("\n".join(lines))
    one_line = linter.text("".join(lines))
    assert [(f.rule, f.matched) for f in one_line] == [(f.rule, f.matched) for f in with_newlines]
    assert len(with_newlines.findings) > 20
