"""The fidelity table: each checkable statement of the seed and the reference, and the rules that encode it.

``rules/coverage.yaml`` is data written by hand: statements, with the rule ids that encode each or
the reason none does. This module reads it, joins it with the loaded rules (does each rule have a
passing and a failing case?) and renders the table; ``problems`` lists every inconsistency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from guard.data import data_dir, load_yaml
from guard.rules.loader import RuleSet

SEED_SOURCE = "seed-live-listing"


@dataclass(frozen=True, slots=True)
class Statement:
    id: str
    section: str
    statement: str
    rules: tuple[str, ...]
    reason: str | None

    @property
    def encoded(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True, slots=True)
class Coverage:
    seed_sections: tuple[str, ...]
    statements: tuple[Statement, ...]


def load_coverage(path: Path | None = None) -> Coverage:
    file = path if path is not None else data_dir("rules") / "coverage.yaml"
    with file.open(encoding="utf-8") as fh:
        doc = load_yaml(fh) or {}
    statements = tuple(
        Statement(str(raw["id"]), str(raw["section"]), str(raw["statement"]), tuple(raw.get("rules") or ()),
                  raw.get("reason"))
        for raw in doc.get("statements") or []
    )
    return Coverage(tuple(doc.get("seed_sections") or ()), statements)


def _has_both_cases(ruleset: RuleSet, rule_id: str) -> bool:
    expects = {test.expect for test in ruleset.by_id[rule_id].spec.tests}
    return expects == {"pass", "fail"}


def problems(coverage: Coverage, ruleset: RuleSet, seed_text: str | None = None) -> list[str]:
    """Every inconsistency between the table, the rules and (when given) the seed's text."""
    found = []
    ids = [s.id for s in coverage.statements]
    found += [f"statement {i} is listed twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    listed: set[str] = set()
    for statement in coverage.statements:
        if not statement.rules and not statement.reason:
            found.append(f"{statement.id}: names neither rules nor a reason")
        if statement.rules and statement.reason:
            found.append(f"{statement.id}: names rules and a reason; say one")
        for rule_id in statement.rules:
            if rule_id not in ruleset.by_id:
                found.append(f"{statement.id}: no rule {rule_id}")
            elif not _has_both_cases(ruleset, rule_id):
                found.append(f"{statement.id}: {rule_id} lacks a passing or a failing case")
        listed.update(statement.rules)
        if statement.id.startswith("S") and statement.section not in coverage.seed_sections:
            found.append(f"{statement.id}: {statement.section!r} is not a seed section")
    for section in coverage.seed_sections:
        if seed_text is not None and section not in seed_text:
            found.append(f"seed section {section!r} is not in the seed")
        if not any(s.section == section for s in coverage.statements):
            found.append(f"seed section {section!r} has no statement")
    for rule in ruleset.rules:
        seed_cites = [c for c in rule.cite if c.source == SEED_SOURCE]
        for cite in seed_cites:
            heading = (cite.section or "").split("（")[0]
            if heading not in coverage.seed_sections:
                found.append(f"{rule.id} cites seed section {cite.section!r}, which the seed does not have")
        if seed_cites and rule.id not in listed:
            found.append(f"{rule.id} cites the seed but encodes no statement of the table")
    return found


def render(coverage: Coverage, ruleset: RuleSet, lang: str = "zh") -> Iterable[str]:
    """The table as Markdown, then the counts."""
    yield "| id | section | statement | rules | both cases | or why not |"
    yield "| --- | --- | --- | --- | --- | --- |"
    for s in coverage.statements:
        rules = ", ".join(s.rules)
        both = "yes" if s.rules and all(r in ruleset.by_id and _has_both_cases(ruleset, r) for r in s.rules) else (
            "-" if not s.rules else "NO")
        yield f"| {s.id} | {s.section} | {s.statement} | {rules} | {both} | {s.reason or ''} |"
    seed = [s for s in coverage.statements if s.id.startswith("S")]
    reference = [s for s in coverage.statements if not s.id.startswith("S")]
    encoded_rules = {r for s in coverage.statements for r in s.rules}
    yield ""
    yield (f"seed: {len(seed)} statements, {sum(s.encoded for s in seed)} encoded, "
           f"{sum(not s.encoded for s in seed)} not checkable from data (reason given); "
           f"reference: {len(reference)} statements, {sum(s.encoded for s in reference)} encoded; "
           f"{len(encoded_rules)} of {len(ruleset.rules)} rules named")
