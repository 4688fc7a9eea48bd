"""JSON (one document) and JSONL (one finding per line) output."""

from __future__ import annotations

import json

from guard.findings import Finding, Report, SourceRef

_SOURCES: dict[tuple[SourceRef, ...], str] = {}


def finding_line(finding: Finding) -> str:
    """One finding as one line of JSON (the sources of a rule are encoded once and reused)."""
    sources = _SOURCES.get(finding.sources)
    if sources is None:
        sources = json.dumps([s.to_dict() for s in finding.sources], ensure_ascii=False)
        _SOURCES[finding.sources] = sources
    body = json.dumps(finding.to_dict(sources=False), ensure_ascii=False)
    return f'{body[:-1]}, "sources": {sources}}}'


def render_json(report: Report, lang: str = "zh") -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render_jsonl(report: Report, lang: str = "zh") -> str:
    return "".join(finding_line(f) + "\n" for f in report.findings)
