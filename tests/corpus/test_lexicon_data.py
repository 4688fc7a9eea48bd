"""Data checks for lexicons/, the clean corpus and the lint fixtures (no guard import needed)."""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "lint"
RULE_IDS = {f"CONTENT-{n:03d}" for n in range(1, 13)}  # 007: strict-category escalation, 008: exemption, 012: ambiguous sense
FAMILY_FILES = {
    "absolute": "CONTENT-001", "medical": "CONTENT-002", "unverifiable": "CONTENT-003",
    "inducement": "CONTENT-004", "diversion": "CONTENT-005", "disclosure": "CONTENT-006",
    "disparagement": "CONTENT-009", "guarantee": "CONTENT-010", "counterfeit": "CONTENT-011",
}


def _load(name: str):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(name)


check_lexicons = _load("check_lexicons")
make_clean_corpus = _load("make_clean_corpus")


def _cases(path: Path) -> list[tuple[str, list[str], dict[str, str], str]]:
    cases, annotation = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        match = re.match(r"#\s*(ruleid|ok):\s*(.*)$", line)
        if match:
            assert annotation is None, f"{path.name}:{number}: two annotations in a row"
            kind, rest = match.groups()
            tokens = rest.split()
            rules = [rule for token in tokens if "=" not in token for rule in token.split(",") if rule]
            context = dict(token.split("=", 1) for token in tokens if "=" in token)
            annotation = (kind, rules, context)
            continue
        if line.startswith("#"):
            continue
        assert annotation is not None, f"{path.name}:{number}: case without annotation"
        cases.append((*annotation, line))
        annotation = None
    assert annotation is None, f"{path.name}: trailing annotation"
    return cases


def test_lexicon_is_valid() -> None:
    problems, counts = check_lexicons.validate()
    assert problems == []
    assert sum(counts[family] for family in check_lexicons.FAMILIES) >= 400
    assert counts["allow"] >= 60


def test_clean_corpus_is_large_and_clean() -> None:
    lines = make_clean_corpus.OUTPUT.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 2000
    assert make_clean_corpus.check(lines) == []


def test_clean_corpus_is_reproducible() -> None:
    lines = make_clean_corpus.OUTPUT.read_text(encoding="utf-8").splitlines()
    assert make_clean_corpus.generate() == lines


def test_fixture_annotations_are_well_formed() -> None:
    categories = set(check_lexicons.CATEGORIES)
    platforms = set(check_lexicons.PLATFORMS)
    for path in sorted(FIXTURES.glob("*.txt")):
        for kind, rules, context, _ in _cases(path):
            assert rules and set(rules) <= RULE_IDS, (path.name, rules)
            assert set(context) <= {"category", "platform", "expect", "exemption", "term", "span"}, (path.name, context)
            assert context.get("category", "general") in categories
            assert context.get("platform", "wechat") in platforms
            assert context.get("expect", "info") == "info"
            assert kind == "ok" or "expect" not in context


def test_family_fixtures_have_both_kinds() -> None:
    for family, rule in FAMILY_FILES.items():
        cases = _cases(FIXTURES / f"{family}.txt")
        assert len(cases) >= 15, family
        assert {kind for kind, rules, _, _ in cases if rule in rules} == {"ruleid", "ok"}, family


def test_allow_fixture_covers_every_allow_phrase() -> None:
    lexicon = check_lexicons.load_lexicon()
    ok_lines = [line for kind, _, _, line in _cases(FIXTURES / "allow.txt") if kind == "ok"]
    for phrase in lexicon.allow_phrases:
        assert any(phrase in line for line in ok_lines), phrase


def test_exemption_fixture_covers_every_exemption() -> None:
    lexicon = check_lexicons.load_lexicon()
    named = {context.get("exemption") for kind, _, context, _ in _cases(FIXTURES / "exemptions.txt")
             if kind == "ok" and context.get("expect") == "info"}
    assert {entry["id"] for entry in lexicon.exemptions} <= named
    assert {entry["kind"] for entry in lexicon.exemptions} == set(check_lexicons.EXEMPTION_KINDS)
