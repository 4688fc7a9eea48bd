"""The library calls behind the routes: no rule logic, only ``guard.check`` and ``guard.lint``."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from guard import __version__
from guard.check import check, check_catalog
from guard.engine import Engine, make_engine
from guard.errors import InputFileError
from guard.io.catalog import load_catalog
from guard.io.readers import READERS
from guard.lint import Linter
from guard.model import CHINA_TZ
from guard.rules.loader import RuleSet
from guard.server.models import CheckRequest, LintRequest
from guard.taxonomy import taxonomy


class Service:
    """The library calls behind the routes, sharing one rule set and engine."""

    def __init__(self, ruleset: RuleSet, engine: Engine | str | None = None, db: str | Path | None = None) -> None:
        self.ruleset = ruleset
        self.db = Path(db) if db is not None else None  # the monitor's database, for post-live reports
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

    def categories(self) -> dict[str, Any]:
        return {"categories": [{"id": c.id, "zh": c.zh, "group": c.group} for c in taxonomy().categories.values()]}

    def caption_linter(self, lang: str) -> Linter:
        """A linter for one caption stream (it keeps no state of its own without a catalog)."""
        return self.linters[lang]

    def catalog(self, body: bytes, name: str, lang: str, fmt: str, now: datetime | None) -> bytes | dict[str, Any]:
        """Check an uploaded catalog file (the bytes of a CSV, XLSX, JSON, JSONL or YAML export)."""
        suffix = Path(name).suffix.lower()
        if suffix not in READERS:
            raise InputFileError(f"{name!r}: unknown file type; use one of {', '.join(sorted(READERS))}")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(body)
            catalog = load_catalog([path])
        catalog.problems = [replace(problem, file=name) for problem in catalog.problems]  # the merchant's file name
        catalog.warnings = [replace(problem, file=name) for problem in catalog.warnings]
        report = check_catalog(catalog, ruleset=self.ruleset, engine=self.engine, lang=lang,
                               now=now or datetime.now(CHINA_TZ))
        report = replace(report, findings=tuple(replace(f, file=name) for f in report.findings))  # not the upload's path
        if fmt == "xlsx":
            from guard.report.xlsx import render_xlsx

            return render_xlsx(report, lang)
        return report.to_dict()

    def report(self, body: bytes, name: str, room: str | None, lang: str) -> dict[str, Any]:
        """The post-live report of an uploaded metrics export against the server's monitor database."""
        from guard.postlive.html import render_html
        from guard.postlive.report import build_report

        if self.db is None:
            raise InputFileError("this server has no monitor database: start it with guard serve --db FILE")
        suffix = Path(name).suffix.lower()
        if suffix not in (".csv", ".xlsx", ".json"):
            raise InputFileError(f"{name!r}: a metrics export is .csv, .xlsx or .json")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{Path(name).stem or 'metrics'}{suffix}"
            path.write_bytes(body)
            report = build_report(self.db, path, ruleset=self.ruleset, engine=self.engine, lang=lang, room=room)
        return {"report": report.to_dict(), "html": render_html(report, lang)}
