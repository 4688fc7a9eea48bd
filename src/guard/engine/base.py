"""The interface both engines implement."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from guard.facts import FactValue
from guard.rules.loader import Rule, RuleSet


class Engine(ABC):
    """Evaluates a rule set over facts; returns the rules that fire, in rule-file order."""

    name: str

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._order = {rule.id: index for index, rule in enumerate(ruleset.rules)}

    @abstractmethod
    def fired(self, kind: str, platform: str, facts: Mapping[str, FactValue]) -> list[Rule]:
        """Every rule of ``kind`` for ``platform`` whose condition holds on ``facts``, each once."""
