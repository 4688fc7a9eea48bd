from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from guard.engine import durable, make_engine
from guard.engine.base import Engine
from guard.model import CHINA_TZ
from guard.rules.loader import RuleSet, load_rules

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=CHINA_TZ)


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="session")
def native(ruleset: RuleSet) -> Engine:
    return make_engine(ruleset, "native")


@pytest.fixture(scope="session")
def durable_engine(ruleset: RuleSet) -> Iterator[Engine]:
    if not durable.available():
        pytest.skip(durable.unavailable_reason())
    yield make_engine(ruleset, "durable")


@pytest.fixture(scope="session", params=["native", "durable"])
def engine(request: pytest.FixtureRequest, ruleset: RuleSet) -> Engine:
    if request.param == "durable" and not durable.available():
        pytest.skip(durable.unavailable_reason())
    return make_engine(ruleset, request.param)


# A real browser for tests: Debian's chromium driven through chromium-driver (selenium). `make test`
# installs both when it can (root with apt); elsewhere the browser tests are skipped and say why.
# Screenshots go to $GUARD_SCREENSHOTS (default: pytest's temporary directory).


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "no chromium on PATH (apt install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "no chromedriver on PATH (apt install chromium-driver)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = _missing()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")  # type: ignore[assignment]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GUARD_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def replicate_module() -> Any:
    """bench/replicate_examples.py as a module: the example catalog replicated to any size, with edge cases."""
    path = Path(__file__).resolve().parent.parent / "bench" / "replicate_examples.py"
    spec = importlib.util.spec_from_file_location("replicate_examples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

