"""The fidelity table (rules/coverage.yaml) agrees with the rules and the seed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from guard.cli import main
from guard.rules.coverage import Coverage, Statement, load_coverage, problems
from guard.rules.loader import RuleSet, load_rules

RULES = load_rules()
SEED_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "seed"


def _seed_text() -> str | None:
    files = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
    return "\n".join(f.read_text(encoding="utf-8") for f in files) or None


def test_the_bundled_table_is_consistent() -> None:
    assert problems(load_coverage(), RULES) == []


@pytest.mark.skipif(_seed_text() is None, reason="the seed article is not beside this checkout")
def test_every_seed_section_of_the_table_is_in_the_seed() -> None:
    assert problems(load_coverage(), RULES, _seed_text()) == []


def test_every_seed_section_has_statements_and_every_statement_is_encoded_or_explained() -> None:
    table = load_coverage()
    assert len(table.seed_sections) == 8
    assert all(s.rules or s.reason for s in table.statements)


def _with_rule(ruleset: RuleSet, rule_id: str, **changes: object) -> RuleSet:
    rules = [dataclasses.replace(r, **changes) if r.id == rule_id else r for r in ruleset.rules]
    return RuleSet(rules, ruleset.sources, ruleset.penalties, ruleset.tier_rank, ruleset.digest)


def test_a_rule_citing_a_seed_section_that_does_not_exist_fails() -> None:
    rule = RULES.by_id["ROOM-002"]
    wrong = tuple(c.model_copy(update={"section": "九、不存在的章节"}) if c.source == "seed-live-listing" else c
                  for c in rule.cite)
    assert any("九、不存在的章节" in p for p in problems(load_coverage(), _with_rule(RULES, "ROOM-002", cite=wrong)))


def test_a_statement_marked_encoded_without_its_rule_fails() -> None:
    table = load_coverage()
    broken = Coverage(table.seed_sections, (*table.statements, Statement("S9.9", table.seed_sections[0], "x", ("ROOM-999",), None)))
    assert "S9.9: no rule ROOM-999" in problems(broken, RULES)


def test_a_statement_without_rules_or_reason_fails() -> None:
    table = load_coverage()
    broken = Coverage(table.seed_sections, (*table.statements, Statement("S9.8", table.seed_sections[0], "x", (), None)))
    assert "S9.8: names neither rules nor a reason" in problems(broken, RULES)


def test_a_seed_rule_missing_from_the_table_fails() -> None:
    table = load_coverage()
    without = Coverage(table.seed_sections, tuple(s for s in table.statements if "ROOM-002" not in s.rules))
    assert "ROOM-002 cites the seed but encodes no statement of the table" in problems(without, RULES)


def test_the_command_prints_the_table_and_its_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "| S3.4 | 三、直播间商品关联操作 |" in out and "ROOM-002" in out
    assert "seed: " in out.splitlines()[-1] and "not checkable from data" in out.splitlines()[-1]
