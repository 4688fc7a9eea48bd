"""A regression corpus of ordinary live-commerce speech must stay clean."""

from __future__ import annotations

from pathlib import Path

from guard.lint import Linter

CORPUS = Path(__file__).parent / "corpus" / "clean_live_speech.txt"


def test_corpus_is_large_enough() -> None:
    lines = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) >= 2000


def test_clean_speech_has_no_findings_on_any_platform() -> None:
    linter = Linter()
    text = CORPUS.read_text(encoding="utf-8")
    for platform in ("wechat", "douyin", "taobao"):
        report = linter.text(text, platform=platform)
        offenders = [(f.line, f.matched, f.rule) for f in report if f.tier != "info"]
        assert offenders == [], f"{platform}: {offenders[:20]}"
