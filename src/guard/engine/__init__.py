"""Engines evaluate compiled rules over facts. Two backends, one interface, one verdict."""

from __future__ import annotations

import os

from guard.engine.base import Engine
from guard.engine.native import NativeEngine
from guard.errors import EngineUnavailable
from guard.rules.loader import RuleSet

ENGINES = ("native", "durable")


def make_engine(ruleset: RuleSet, name: str | None = None) -> Engine:
    """Build the engine ``name`` (default: ``$GUARD_ENGINE`` or native) for ``ruleset``."""
    chosen = name or os.environ.get("GUARD_ENGINE") or "native"
    if chosen == "native":
        return NativeEngine(ruleset)
    if chosen == "durable":
        from guard.engine.durable import DurableEngine

        return DurableEngine(ruleset)
    raise EngineUnavailable(f"unknown engine {chosen!r}; choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "make_engine"]
