"""Errors raised by guard, and the value that reports bad input.

Findings are results, not exceptions. Exceptions are for failures of the run::

    GuardError
    ├── RuleFileError        a rule, source, penalty or lexicon file is unreadable or invalid
    ├── ConfigError          a user config file is unreadable or invalid
    ├── InputFileError       an input file cannot be opened or parsed at all
    ├── RunnerUnavailable    an optional runner (Flink) is not installed here, or has no Java
    └── EngineError          an engine failed while evaluating (never an empty result instead)
        └── EngineUnavailable   the engine cannot be loaded on this interpreter

A single bad record inside a readable file is not an exception: it is an ``InputProblem``
value collected beside the findings, and the other records are still checked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class GuardError(Exception):
    """Base class of every exception guard raises on purpose."""


class RuleFileError(GuardError):
    """A rule, source, penalty or lexicon file is unreadable or invalid."""

    def __init__(self, file: str, message: str, rule: str | None = None) -> None:
        self.file = file
        self.rule = rule
        self.detail = message
        where = f"{file}: rule {rule}" if rule else file
        super().__init__(f"{where}: {message}")


class ConfigError(GuardError):
    """A user config file is unreadable or invalid."""


class InputFileError(GuardError):
    """An input file cannot be opened or parsed at all."""


class RunnerUnavailable(GuardError):
    """An optional runner cannot start here: its extra is not installed, or Java is missing."""


class EngineError(GuardError):
    """An engine failed while evaluating; its result must not be trusted."""


class EngineUnavailable(EngineError):
    """The requested engine cannot be loaded here (for example durable_rules on Python 3.13)."""


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One bad record: where it is and what is wrong. The record is not checked."""

    file: str
    location: str  # "line 3", "row 7" or "$.products[2]"
    path: str  # JSON path of the offending field inside the record, "$" for the record itself
    message: str
    record: str | None = None  # id of the record when it could be read
    warning: bool = False  # said once, nothing rejected (an ignored column, rounded amounts)
    column: str | None = None  # the column header as written in the merchant's file, for tabular files
    message_zh: str | None = None  # the message in Chinese, when one is known
    cell: str | None = None  # the spreadsheet cell, such as D12

    def to_dict(self) -> dict[str, str | bool | None]:
        return asdict(self)

    def __str__(self) -> str:
        rec = f" ({self.record})" if self.record else ""
        cell = f" [{self.cell}]" if self.cell else ""
        return f"{self.file}:{self.location}{rec}: {self.path}{cell}: {self.message}"

    def render(self, lang: str = "zh") -> str:
        """For people: in Chinese, the row or line and the column as the merchant wrote it (第4行「售价」)."""
        if lang != "zh":
            return str(self)
        where = _location_zh(self.location)
        field_name = f"「{self.column}」" if self.column else ("" if self.path == "$" else f" {self.path}")
        if self.cell:
            field_name += f"（{self.cell}）"
        rec = f"（{self.record}）" if self.record else ""
        return f"{self.file} {where}{field_name}{rec}：{self.message_zh or self.message}"


def _location_zh(location: str) -> str:
    sheet, _, rest = location.rpartition("!")
    prefix = f"工作表「{sheet}」" if sheet else ""
    kind, _, number = rest.partition(" ")
    if kind in ("row", "line") and number.isdigit():
        return f"{prefix}第{number}行"
    if rest == "file":
        return prefix + "整个文件"
    return prefix + rest
