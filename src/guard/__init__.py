"""guard: keeps live-commerce sellers legal before and during a broadcast.

    >>> import guard
    >>> report = guard.check([{"id": "P1", "category": "general", "name": "纯棉T恤", "price": "59.00"}])
    >>> [f.rule for f in report]  # doctest: +SKIP
"""

from guard.check import check, check_catalog, check_files
from guard.engine import ENGINES, make_engine
from guard.errors import (
    ConfigError,
    EngineError,
    EngineUnavailable,
    GuardError,
    InputFileError,
    InputProblem,
    RuleFileError,
    RunnerUnavailable,
)
from guard.findings import Finding, Report, SourceRef, Summary
from guard.io.catalog import Catalog, load_catalog
from guard.lint import Linter, lint
from guard.model import LiveRoom, Merchant, Product, Promotion
from guard.rules.loader import Rule, RuleSet, load_rules

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "ConfigError",
    "ENGINES",
    "EngineError",
    "EngineUnavailable",
    "Finding",
    "GuardError",
    "InputFileError",
    "InputProblem",
    "Linter",
    "LiveRoom",
    "Merchant",
    "Product",
    "Promotion",
    "Report",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "RunnerUnavailable",
    "SourceRef",
    "Summary",
    "check",
    "check_catalog",
    "check_files",
    "lint",
    "load_catalog",
    "load_rules",
    "make_engine",
]
