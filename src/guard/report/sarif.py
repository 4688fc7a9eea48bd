"""SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

import json
from typing import Any

from guard.findings import Report
from guard.report.positions import position

_LEVEL = {"severe": "error", "general": "error", "minor": "warning", "info": "note"}


def render_sarif(report: Report, lang: str = "zh") -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in report.findings:
        rules.setdefault(f.rule, {
            "id": f.rule,
            "name": f.name,
            "shortDescription": {"text": f.name},
            "properties": {"topic": f.topic, "tier": f.tier},
        })
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": {"uri": f.file or "<input>"}},
            "logicalLocations": [{"fullyQualifiedName": f.path, "kind": "member"}],
        }
        if f.product is not None:  # a catalog field: the position in the file, not inside the field's text
            found = position(f.file, f.path, f.start)
            if found is not None:
                region: dict[str, Any] = {"startLine": found[0], "startColumn": found[1]}
                if f.matched is not None:
                    region["endColumn"] = found[1] + len(f.matched)
                location["physicalLocation"]["region"] = region
        elif f.line is not None and f.column is not None and f.matched is not None:
            location["physicalLocation"]["region"] = {
                "startLine": f.line, "startColumn": f.column, "endColumn": f.column + len(f.matched),
            }
        results.append({
            "ruleId": f.rule,
            "level": _LEVEL[f.tier],
            "message": {"text": f"{f.message} {f.fix}"},
            "locations": [location],
            "properties": {"tier": f.tier, "penalty": f.penalty, "product": f.product, "platform": f.platform},
        })
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "guard",
                                "rules": list(rules.values())}},
            "results": results,
        }],
    }
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"
