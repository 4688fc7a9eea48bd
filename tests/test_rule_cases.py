"""Every rule's own test cases, on both engines. Rule tests are data: this runner is the only code."""

from __future__ import annotations

import pytest

from guard.engine.base import Engine
from guard.rules.loader import RuleSet, load_rules
from guard.rules.testing import run_rule_tests

RULE_IDS = [rule.id for rule in load_rules().rules]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_cases(rule_id: str, ruleset: RuleSet, engine: Engine) -> None:
    results = list(run_rule_tests([ruleset.by_id[rule_id]], engine))
    assert results, f"{rule_id} has no test cases"
    failures = [f"{r.case}@{r.platform}: expected {r.expected}, got {r.actual}" for r in results if not r.ok]
    assert failures == []


def test_every_rule_has_passing_and_failing_case(ruleset: RuleSet) -> None:
    for rule in ruleset.rules:
        expectations = {t.expect for t in rule.spec.tests}
        assert expectations == {"pass", "fail"}, rule.id


def test_rule_ids_are_unique_and_stable_format(ruleset: RuleSet) -> None:
    ids = [r.id for r in ruleset.rules]
    assert len(ids) == len(set(ids))
