"""Semgrep-style fixtures: `# ruleid: ID` before text that must be flagged, `# ok: ID` before text that must not."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from guard.lint import Linter

FIXTURES = Path(__file__).parent / "fixtures" / "lint"


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    kind: str  # ruleid | ok
    rules: tuple[str, ...]
    context: dict[str, str]
    text: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(FIXTURES.glob("*.txt")):
        pending: tuple[str, tuple[str, ...], dict[str, str]] | None = None
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.rstrip("\n")
            if line.startswith(("# ruleid:", "# ok:")):
                kind, _, rest = line[2:].partition(":")
                words = rest.split()
                rules = tuple(r for r in words[0].split(",") if r)
                context = dict(w.split("=", 1) for w in words[1:])
                pending = (kind, rules, context)
            elif line.startswith("#") or not line.strip():
                continue
            elif pending is not None:
                cases.append(Case(path.name, number, pending[0], pending[1], pending[2], line))
                pending = None
    return cases


CASES = load_cases()


@pytest.fixture(scope="module")
def linter() -> Linter:
    return Linter()


def test_fixtures_cover_every_family_and_mechanism() -> None:
    files = {c.file for c in CASES}
    assert {"absolute.txt", "medical.txt", "unverifiable.txt", "inducement.txt", "diversion.txt", "disclosure.txt",
            "disparagement.txt", "guarantee.txt", "counterfeit.txt", "senses.txt",
            "evasion.txt", "allow.txt", "exemptions.txt", "referents.txt"} <= files
    assert len(CASES) >= 300


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case: Case, linter: Linter) -> None:
    """A `ruleid` rule fires (on the named platform, or on at least one when none is named: no
    platform filtering); an `ok` rule fires above info on no platform."""
    platforms = [case.context["platform"]] if "platform" in case.context else ["wechat", "douyin", "taobao"]
    category = case.context.get("category", "general")
    fired_somewhere: set[str] = set()
    for platform in platforms:
        findings = linter.line(case.text, 1, category=category, platform=platform)
        for finding in findings:
            assert case.text[finding.start:finding.end] == finding.matched
        above_info = {f.rule for f in findings if f.tier != "info"}
        fired_somewhere |= above_info
        if case.kind == "ok":
            for rule in case.rules:
                assert rule not in above_info, f"{case.text!r} on {platform}: {[(f.rule, f.matched) for f in findings]}"
            if case.context.get("expect") == "info":
                reasons = [f for f in findings if f.rule == "CONTENT-008"]
                assert reasons, f"{case.text!r}: expected an exemption finding"
    if case.kind == "ruleid":
        for rule in case.rules:
            assert rule in fired_somewhere, f"{case.text!r}: {sorted(fired_somewhere)}"
        if "term" in case.context or "span" in case.context:
            findings = [f for p in platforms for f in linter.line(case.text, 1, category=category, platform=p)
                        if f.rule in case.rules]
            if "term" in case.context:
                assert case.context["term"] in {f.term for f in findings}, [(f.term, f.matched) for f in findings]
            if "span" in case.context:
                assert case.context["span"] in {f.matched for f in findings}, [(f.term, f.matched) for f in findings]


OK_WITHOUT_CANDIDATE: set[str] = set()


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "ok"], ids=[c.id for c in CASES if c.kind == "ok"])
def test_ok_fixture_holds_a_candidate(case: Case, linter: Linter) -> None:
    """An `ok` case can fail: its text holds a lexicon candidate (a raw automaton or pattern hit before
    any boundary, allow, sense or exemption check)."""
    assert linter.matcher.candidates(case.text), f"{case.text!r} holds no lexicon candidate: the case cannot fail"


def test_every_sense_decides_at_least_one_fixture(linter: Linter) -> None:
    """Each sense in lexicons/senses.yaml is exercised by a fixture line (as a drop, advice or claim)."""
    from guard.text.senses import load_senses

    applied: list[tuple[str, str]] = []
    for case in CASES:
        linter.matcher.scan(case.text, applied)
    unused = {sense.id for sense in load_senses()} - {sense_id for _, sense_id in applied}
    assert not unused, f"senses no fixture exercises: {sorted(unused)}"


def test_every_referent_decides_at_least_one_ok_fixture(linter: Linter) -> None:
    """Each class of lexicons/referents.yaml turns at least one `ok` fixture line into advice."""
    from guard.text.referent import load_referents

    referents = load_referents()
    assert referents is not None
    applied: list[tuple[str, str]] = []
    for case in CASES:
        if case.kind == "ok":
            linter.matcher.scan(case.text, applied)
    unused = {sense.id for sense in referents.senses()} - {sense_id for _, sense_id in applied}
    assert not unused, f"referents no ok fixture exercises: {sorted(unused)}"
