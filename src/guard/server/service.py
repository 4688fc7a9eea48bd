"""The library calls behind the routes: no rule logic, only ``guard.check`` and ``guard.lint``."""

from __future__ import annotations

from typing import Any

from guard import __version__
from guard.check import check
from guard.engine import Engine, make_engine
from guard.lint import Linter
from guard.rules.loader import RuleSet
from guard.server.models import CheckRequest, LintRequest


class Service:
    """The library calls behind the routes, sharing one rule set and engine."""

    def __init__(self, ruleset: RuleSet, engine: Engine | str | None = None) -> None:
        self.ruleset = ruleset
        self.engine = engine if isinstance(engine, Engine) else make_engine(ruleset, engine)
        self.linters = {lang: Linter(rules=ruleset, engine=self.engine, lang=lang) for lang in ("zh", "en")}

    def warm(self) -> None:
        """Load what the first lint with a hit would load (jieba's dictionary), so no request waits for it."""
        for linter in self.linters.values():
            linter.text("这款面霜可以消炎", category="cosmetics")

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "engine": self.engine.name, "rules": len(self.ruleset.rules)}

    def rules(self) -> dict[str, Any]:
        return {"rules": [{"id": r.id, "name": r.name, "topic": r.topic, "tier": r.tier, "platforms": list(r.platforms)}
                          for r in self.ruleset.rules]}

    def check(self, request: CheckRequest) -> dict[str, Any]:
        report = check(
            request.products, merchant=request.merchant, promotions=request.promotions,
            live_rooms=request.live_rooms, platform=request.platform, engine=self.engine, rules=self.ruleset,
            now=request.now, lang=request.lang,
        )
        return report.to_dict()

    def lint(self, request: LintRequest) -> dict[str, Any]:
        report = self.linters[request.lang].text(request.text, category=request.category, platform=request.platform)
        return report.to_dict()
