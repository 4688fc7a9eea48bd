"""JSON (one document) and JSONL (one finding per line) output."""

from __future__ import annotations

import json

from guard.findings import Finding, Report


def finding_line(finding: Finding) -> str:
    return json.dumps(finding.to_dict(), ensure_ascii=False, sort_keys=False)


def render_json(report: Report, lang: str = "zh") -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render_jsonl(report: Report, lang: str = "zh") -> str:
    return "".join(finding_line(f) + "\n" for f in report.findings)
