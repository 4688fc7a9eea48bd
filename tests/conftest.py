from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

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
