"""Renderers: one per output format. Each takes a Report and returns text for stdout."""

from __future__ import annotations

from collections.abc import Callable

from guard.findings import Report
from guard.report.github import render_github
from guard.report.json import render_json, render_jsonl
from guard.report.sarif import render_sarif
from guard.report.text import render_text

Renderer = Callable[[Report, str], str]

RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "jsonl": render_jsonl,
    "sarif": render_sarif,
    "github": render_github,
}
FORMATS = tuple(RENDERERS)

__all__ = ["FORMATS", "RENDERERS", "Renderer"]
