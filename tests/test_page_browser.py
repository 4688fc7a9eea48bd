"""The page for shop staff in a real browser: paste a script and see every finding in place, check a
catalog, filter, download the workbook, and read the post-live report; on a laptop and on a phone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from guard.cli import main
from guard.io.catalog import load_catalog
from guard.check import check_catalog
from guard.lint import Linter, read_script
from guard.rules.loader import load_rules
from guard.server import Service, listen, make_app, server_for, url_of

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """guard serve on a free loopback port, with the example live's monitor database."""
    db = tmp_path_factory.mktemp("site") / "live.db"
    main(["monitor", "replay", str(EXAMPLES / "events.jsonl"), "--db", str(db), "--until", "2026-11-28T00:00:00+08:00"])
    sock = listen("127.0.0.1", 0)
    server = server_for(make_app(Service(load_rules(), db=db)), read_timeout=10, access_log=False)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield url_of(sock)
    server.should_exit = True
    thread.join(10)
    sock.close()


def _wait(browser: Any, script: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _select(browser: Any, element_id: str, value: str) -> None:
    browser.execute_script(f"const s = document.getElementById('{element_id}'); s.value = arguments[0];"
                           "s.dispatchEvent(new Event('change'));", value)


@pytest.mark.parametrize(("name", "width", "height"), [("laptop", 1280, 900), ("phone", 390, 844)])
def test_a_merchant_checks_a_script_a_catalog_and_a_live(site: str, browser: Any, screenshots: Path, tmp_path: Path,
                                                          name: str, width: int, height: int) -> None:
    browser.set_window_size(width, height)
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(site + "/")
    _wait(browser, "return document.getElementById('category').options.length > 10")

    # the script: every finding the library gives is highlighted in place, with its tier
    script = read_script(EXAMPLES / "live_script.txt")
    browser.execute_script("document.getElementById('text').value = arguments[0];", script)
    _select(browser, "category", "cosmetics")
    _select(browser, "platform", "douyin")
    browser.find_element("id", "lint").click()
    _wait(browser, "return document.querySelectorAll('#highlighted mark').length > 0")
    marks = browser.execute_script("return Array.from(document.querySelectorAll('#highlighted mark'))"
                                   ".map(m => [m.dataset.rule, m.dataset.tier, m.textContent]);")
    expected, end = [], -1
    for finding in sorted(Linter().text(script, category="cosmetics", platform="douyin").findings,
                          key=lambda f: (f.start, ["severe", "general", "minor", "info"].index(f.tier))):
        if finding.start >= end:  # overlapping findings show the earlier, worse one
            expected.append([finding.rule, finding.tier, finding.matched])
            end = finding.end
    assert marks == expected
    assert browser.execute_script("return document.getElementById('highlighted').textContent") == script
    browser.find_elements("css selector", "#highlighted mark")[0].click()
    detail = browser.find_element("id", "detail")
    assert detail.is_displayed() and expected[0][0] in detail.text and "修改" in detail.text
    browser.save_screenshot(str(screenshots / f"page-script-{name}.png"))

    # the catalog: the same findings as the command, filtered by tier, downloaded as a workbook
    export = EXAMPLES / "exports" / "shop-export.csv"
    browser.find_element("id", "catalog-file").send_keys(str(export))
    browser.find_element("id", "check").click()
    rows = _wait(browser, "const r = document.querySelectorAll('#findings tbody tr'); return r.length ? r.length : 0;")
    library = check_catalog(load_catalog([export]), ruleset=load_rules())
    assert rows == len(library.findings)
    _select(browser, "filter-tier", "severe")
    tiers = browser.execute_script("return Array.from(document.querySelectorAll('#findings tbody tr')).map(r => r.dataset.tier)")
    assert tiers and set(tiers) == {"severe"} and len(tiers) == sum(f.tier == "severe" for f in library.findings)
    browser.find_element("id", "download").click()
    deadline = time.monotonic() + 20
    while not list(tmp_path.glob("*.xlsx")) and time.monotonic() < deadline:
        time.sleep(0.1)
    [workbook] = list(tmp_path.glob("*.xlsx"))
    assert load_workbook(workbook).worksheets[0].max_row == len(library.findings) + 1
    browser.save_screenshot(str(screenshots / f"page-catalog-{name}.png"))

    # the post-live report, drawn in the page
    browser.find_element("id", "metrics-file").send_keys(str(EXAMPLES / "metrics" / "LR-20261126.xlsx"))
    browser.find_element("id", "make-report").click()
    _wait(browser, "return !document.getElementById('report-frame').hidden")
    browser.switch_to.frame("report-frame")
    charts = browser.execute_script("return Array.from(document.querySelectorAll('svg[data-chart]')).map(s => s.dataset.chart)")
    browser.switch_to.default_content()
    assert {"sku-conversion", "bounce-over-time", "sla-timeline"} <= set(charts)

    # English throughout after the switch, and nothing wider than the window
    browser.find_element("id", "lang").click()
    assert browser.find_element("id", "lint").text == "Check"
    assert browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    browser.save_screenshot(str(screenshots / f"page-en-{name}.png"))
