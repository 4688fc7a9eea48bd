"""The post-live report's page in a real browser: its charts are drawn, readable on a laptop and a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guard.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    db = folder / "live.db"
    main(["monitor", "replay", str(EXAMPLES / "events.jsonl"), "--db", str(db), "--until", "2026-11-28T00:00:00+08:00"])
    for live in ("LR-20261119", "LR-20261122"):
        assert main(["report", "--db", str(db), "--metrics", str(EXAMPLES / "metrics" / f"{live}.csv"), "--room", live,
                     "--format", "json", "--output", str(folder / f"{live}.json")]) == 0
    out = folder / "report.html"
    assert main(["report", "--db", str(db), "--metrics", str(EXAMPLES / "metrics" / "LR-20261126.xlsx"), "--output", str(out)]) == 0
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("name", "width", "height"), [("laptop", 1280, 900), ("phone", 390, 844)])
def test_the_report_s_charts_are_drawn_and_fit_the_window(page: Path, browser: Any, screenshots: Path,
                                                          name: str, width: int, height: int) -> None:
    browser.set_window_size(width, height)
    browser.get(page.as_uri())
    charts = browser.execute_script("""
        return Array.from(document.querySelectorAll('svg[data-chart]')).map(svg => {
            const box = svg.getBoundingClientRect();
            const marks = Array.from(svg.querySelectorAll('[data-value-bp],[data-rule]')).map(m => {
                const b = m.getBoundingClientRect(); return [b.width, b.height]; });
            return {chart: svg.dataset.chart, width: box.width, height: box.height, marks: marks};
        });""")
    assert {c["chart"] for c in charts} == {"sku-conversion", "bounce-over-time", "complaints-by-live", "sla-timeline"}
    for chart in charts:
        assert 0 < chart["width"] <= width and chart["height"] > 0, chart["chart"]
        assert chart["marks"] and all(w > 0 and h > 0 for w, h in chart["marks"]), chart["chart"]  # every mark is visible
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    advice = browser.find_elements("css selector", "#advice li")
    assert {a.get_attribute("data-rule") for a in advice} >= {"METRIC-001", "METRIC-002", "METRIC-003", "METRIC-004"}
    browser.set_window_size(width, max(height, browser.execute_script("return document.body.scrollHeight") + 100))
    assert browser.save_screenshot(str(screenshots / f"report-{name}.png"))
