"""GitHub Actions workflow commands (annotations)."""

from __future__ import annotations

from guard.findings import Report
from guard.report.positions import position

_LEVEL = {"severe": "error", "general": "error", "minor": "warning", "info": "notice"}


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, lang: str = "zh") -> str:
    lines = []
    for f in report.findings:
        props = [f"file={_prop(f.file or '<input>')}"]
        found = position(f.file, f.path, f.start) if f.product is not None else None
        if found is not None:  # a catalog field: where it stands in the file
            props += [f"line={found[0]}", f"col={found[1]}"]
        elif f.line is not None:
            props += [f"line={f.line}", f"col={f.column}"]
        props.append(f"title={_prop(f'{f.rule} {f.name}')}")
        lines.append(f"::{_LEVEL[f.tier]} {','.join(props)}::{_escape(f'{f.path}: {f.message} → {f.fix}')}")
    return "".join(line + "\n" for line in lines)
