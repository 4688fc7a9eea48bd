"""Run every rule's own ``tests:`` cases on an engine."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from guard.engine.base import Engine
from guard.rules.loader import Rule


@dataclass(frozen=True, slots=True)
class CaseResult:
    rule: str
    case: str
    engine: str
    platform: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def run_rule_tests(rules: Iterable[Rule], engine: Engine) -> Iterator[CaseResult]:
    """Evaluate each test case of each rule on ``engine``; ``fail`` means the rule fired."""
    for rule in rules:
        for case in rule.spec.tests:
            platforms = [case.platform] if case.platform else list(rule.platforms)
            for platform in platforms:
                fired = {r.id for r in engine.fired(rule.applies_to, platform, case.facts)}
                actual = "fail" if rule.id in fired else "pass"
                yield CaseResult(rule.id, case.name, engine.name, platform, case.expect, actual)
