"""Where a finding stands in the catalog file itself: line and column, for SARIF and annotations.

A text hit knows its offset inside a field (a product's description); a code-scanning dashboard
wants the line and column of the file. For JSON catalogs the field's string is found by walking the
document along the finding's path (``$.products[12].description``), skipping every other value
with the standard decoder; the offset inside the string is then mapped through its escapes. For
CSV and XLSX rows the row number is the line. Anything else has no position.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_WHITE = " \t\n\r"
_DECODER = json.JSONDecoder()


def _parts(path: str) -> list[str | int] | None:
    if not path.startswith("$"):
        return None
    parts: list[str | int] = []
    rest = path[1:]
    while rest:
        found = _PART.match(rest)
        if found is None:
            return None
        parts.append(found.group(1) if found.group(1) is not None else int(found.group(2)))
        rest = rest[found.end():]
    return parts


def _skip_white(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITE:
        index += 1
    return index


def _value_start(text: str, parts: list[str | int]) -> int | None:
    """Index of the value at ``parts`` in the JSON ``text``, or None."""
    index = _skip_white(text, 0)
    for part in parts:
        if index >= len(text):
            return None
        if isinstance(part, str):
            if text[index] != "{":
                return None
            index = _skip_white(text, index + 1)
            while index < len(text) and text[index] != "}":
                key, index = _DECODER.raw_decode(text, index)
                index = _skip_white(text, index)
                if text[index] != ":":
                    return None
                index = _skip_white(text, index + 1)
                if key == part:
                    break
                _, index = _DECODER.raw_decode(text, index)
                index = _skip_white(text, index)
                if text[index] == ",":
                    index = _skip_white(text, index + 1)
            else:
                return None
        else:
            if text[index] != "[":
                return None
            index = _skip_white(text, index + 1)
            for _ in range(part):
                if text[index] == "]":
                    return None
                _, index = _DECODER.raw_decode(text, index)
                index = _skip_white(text, index)
                if text[index] == ",":
                    index = _skip_white(text, index + 1)
            if text[index] == "]":
                return None
    return index


def _raw_index(text: str, quote: int, offset: int) -> int:
    """Index in ``text`` of the ``offset``-th decoded character of the string opening at ``quote``."""
    index, decoded = quote + 1, 0
    while decoded < offset and index < len(text) and text[index] != '"':
        if text[index] == "\\":
            index += 6 if text[index + 1] == "u" else 2
        else:
            index += 1
        decoded += 1
    return index


@lru_cache(maxsize=8)
def _read(file: str) -> str | None:
    try:
        raw = Path(file).read_bytes()
    except OSError:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def position(file: str | None, path: str, offset: int | None) -> tuple[int, int] | None:
    """(line, column), both from 1, of a finding in its catalog file; None where it cannot be known."""
    if not file:
        return None
    location = path.partition(".")[0]
    if location.startswith("row ") and location[4:].isdigit():
        return int(location[4:]), 1
    if not file.lower().endswith(".json"):
        return None
    parts = _parts(path)
    text = _read(file)
    if parts is None or text is None:
        return None
    try:
        start = _value_start(text, parts)
    except (ValueError, IndexError):
        return None
    if start is None:
        return None
    if offset is not None and text[start] == '"':
        start = _raw_index(text, start, offset)
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1
