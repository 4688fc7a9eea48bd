"""File readers. Each yields raw records (dicts) with the file and location they came from.

A file that cannot be opened or parsed at all raises ``InputFileError``. A bad line or row
inside a readable file becomes an ``InputProblem`` and reading goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from guard.data import load_user_yaml
from guard.errors import InputFileError, InputProblem
from guard.io.profiles import (ColumnMap, Profile, adapt_record, detect, detect_record, fen_to_yuan, reference_from_skus,
                                 resolve_category)
from guard.model import column_aliases
from guard.taxonomy import taxonomy

KINDS = ("merchant", "product", "promotion", "live_room")
_DOC_KEYS = {"merchant": "merchant", "merchants": "merchant", "products": "product", "product": "product",
             "promotions": "promotion", "live_rooms": "live_room", "rooms": "live_room"}
_LIST_FIELDS = ("channels", "aliases", "head_images", "mini_program_categories", "authorized_categories", "quick_bar", "products")


@dataclass(frozen=True, slots=True)
class RawRecord:
    kind: str
    data: Any
    file: str
    location: str
    labels: Mapping[str, str] | None = None  # field -> column header as written (tabular files)
    cells: Mapping[str, str] | None = None  # field -> cell reference such as D12 (spreadsheets)


ReadItem = RawRecord | InputProblem


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark ("Unicode text" exports)
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputFileError(f"{name}: starts with a UTF-16 byte-order mark but is not UTF-16 text") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{name}: neither UTF-8 nor GB18030 text")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc


_CHUNK = 1 << 20
_DECODER = json.JSONDecoder(parse_float=Decimal)


def _text_encoding(path: Path) -> str:
    """The encoding ``_decode`` would pick for the whole file, found chunk by chunk without holding it."""
    try:
        with path.open("rb") as handle:
            bom = handle.read(2)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    candidates = ("utf-16",) if bom in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        except OSError as exc:
            raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if candidates == ("utf-16",):
        raise InputFileError(f"{path}: starts with a UTF-16 byte-order mark but is not UTF-16 text")
    raise InputFileError(f"{path}: neither UTF-8 nor GB18030 text")


def _open_text(path: Path, newline: str) -> io.TextIOWrapper:
    """The file as text, line by line, in the encoding of the whole file (lines split as in memory)."""
    encoding = _text_encoding(path)
    try:
        return path.open(encoding=encoding, newline=newline)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _document_records(doc: Any, name: str) -> Iterator[ReadItem]:
    if isinstance(doc, list):
        for index, item in enumerate(doc):
            yield RawRecord("product", item, name, f"$[{index}]")
        return
    if not isinstance(doc, dict):
        raise InputFileError(f"{name}: expected a list of products or a mapping with products, promotions, live_rooms")
    if "products" not in doc and ("id" in doc and "category" in doc):
        yield RawRecord("product", doc, name, "$")
        return
    for key, value in doc.items():
        kind = _DOC_KEYS.get(key)
        if kind is None:
            yield InputProblem(name, "$", f"$.{key}", f"unknown top-level key {key!r}; expected one of {sorted(_DOC_KEYS)}")
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            where = f"$.{key}[{index}]" if isinstance(value, list) else f"$.{key}"
            yield RawRecord(kind, item, name, where)


def read_json(path: Path, kinds: frozenset[str] | None = None) -> Iterator[ReadItem]:
    """The records of a JSON document, read element by element (``JsonStream``): a catalog of a million
    products is never held whole. With ``kinds``, records of other kinds are parsed only to be
    passed over (faster: numbers as floats) and not yielded; problems are always yielded."""
    name = str(path)
    with _open_text(path, "") as handle:
        stream = JsonStream(handle, name, kinds)
        try:
            yield from stream.records()
        except _Unstreamable:
            pass
        else:
            return
    # The document is malformed, or in a form the stream does not take: parse it whole, as a whole
    # parse would (its error, or the records after those the stream has given).
    text = _decode(_read_bytes(path), name)
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: line {exc.lineno} column {exc.colno}: malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise InputFileError(f"{path}: JSON nested too deeply to be a catalog") from None
    rest = itertools.islice(_document_records(doc, name), stream.given, None)
    yield from (item for item in rest if kinds is None or not isinstance(item, RawRecord) or item.kind in kinds)


class _Unstreamable(Exception):
    """The stream met what it does not read (malformed JSON, a value past the end): parse whole."""


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9.eE+\-]*")  # what may still follow the digits a number was decoded from
_FAST = json.JSONDecoder()  # for records that are passed over: floats are cheaper than Decimals


class JsonStream:
    """A JSON catalog document read one top-level element at a time, with ``json``'s own decoder.

    The document is a list of products, or a mapping whose list values (``products``,
    ``promotions`` ...) are read element by element; every other value is decoded whole. Records
    come out in document order with the locations a whole parse gives (``$[3]``,
    ``$.products[3]``). Until the ``products`` key is met, the mapping's entries are kept back: a
    mapping without it may be a single product (``{"id": ..., "category": ...}``). A key repeated at
    the top level is read at each place it stands. Anything else (a malformed document, text after
    it) raises ``_Unstreamable`` with ``given`` records yielded, for the caller to parse whole.
    """

    def __init__(self, handle: io.TextIOBase, name: str, kinds: frozenset[str] | None = None,
                 chunk: int = _CHUNK) -> None:
        self._handle = handle
        self._name = name
        self._kinds = kinds
        self._chunk = chunk
        self._text = ""
        self._at = 0
        self._eof = False
        self.given = 0  # records and problems yielded, in document order

    def _more(self, size: int | None = None) -> bool:
        """Read another ``size`` characters (a chunk) onto the unread text; False at the end of the file."""
        if self._eof:
            return False
        piece = self._handle.read(size or self._chunk)
        if not piece:
            self._eof = True
            return False
        self._text = self._text[self._at:] + piece
        self._at = 0
        return True

    def _peek(self) -> str:
        """The next character that is not whitespace ('' at the end)."""
        while True:
            self._at = _WHITESPACE.match(self._text, self._at).end()  # type: ignore[union-attr]
            if self._at < len(self._text):
                return self._text[self._at]
            if not self._more():
                return ""

    def _value(self, decoder: json.JSONDecoder = _DECODER) -> Any:
        """Decode the value at the cursor; a value that may go on past the text read so far is read again
        with more text."""
        if self._peek() == "":
            raise _Unstreamable  # nothing left where a value should be
        size = self._chunk
        while True:
            try:
                value, end = decoder.raw_decode(self._text, self._at)
            except json.JSONDecodeError:
                if self._more(size):
                    size *= 2  # a value longer than a chunk is decoded again O(log n) times, not O(n)
                    continue
                raise _Unstreamable from None
            except RecursionError:
                raise _Unstreamable from None
            if _NUMBER_TAIL.match(self._text, end).end() == len(self._text) and self._more():  # type: ignore[union-attr]
                continue  # a number may go on past the chunk's end (1| or 1.|5: decoded so far as 1)
            self._at = end
            return value

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise _Unstreamable
        self._at += 1

    def _closes(self, bracket: str) -> bool:
        """After an element or entry: True at the closing ``bracket``, False at a comma (else malformed)."""
        following = self._peek()
        self._at += 1
        if following == bracket:
            return True
        if following != ",":
            raise _Unstreamable
        return False

    def _give(self, item: ReadItem) -> Iterator[ReadItem]:
        self.given += 1
        if self._kinds is None or not isinstance(item, RawRecord) or item.kind in self._kinds:
            yield item

    def _elements(self, kind: str, where: str) -> Iterator[ReadItem]:
        """The elements of the list at the cursor, one record each."""
        decoder = _DECODER if self._kinds is None or kind in self._kinds else _FAST
        self._expect("[")
        if self._peek() == "]":
            self._at += 1
            return
        index = 0
        while True:
            yield from self._give(RawRecord(kind, self._value(decoder), self._name, f"{where}[{index}]"))
            index += 1
            if self._closes("]"):
                return

    def records(self) -> Iterator[ReadItem]:
        first = self._peek()
        if first == "[":
            yield from self._elements("product", "$")
        elif first == "{":
            yield from self._mapping()
        else:
            raise _Unstreamable  # a scalar, or nothing: the whole parse says which
        if self._peek() != "":
            raise _Unstreamable  # text after the document

    def _mapping(self) -> Iterator[ReadItem]:
        self._expect("{")
        held: list[tuple[str, Any]] | None = []  # entries before "products"; None once it is met
        if self._peek() == "}":
            self._at += 1
        else:
            while True:
                if self._peek() != '"':
                    raise _Unstreamable
                key = self._value()
                self._expect(":")
                kind = _DOC_KEYS.get(key)
                if held is not None and key == "products":
                    for entry in held:
                        yield from self._entry(*entry)
                    held = None
                if held is None and kind is not None and self._peek() == "[":
                    yield from self._elements(kind, f"$.{key}")
                elif held is None:
                    yield from self._entry(key, self._value())
                else:
                    held.append((key, self._value()))
                if self._closes("}"):
                    break
        if held is None:
            return
        doc = dict(held)  # as a whole parse reads it: a repeated key keeps its first place and last value
        if "id" in doc and "category" in doc:
            yield from self._give(RawRecord("product", doc, self._name, "$"))
            return
        for entry in doc.items():
            yield from self._entry(*entry)

    def _entry(self, key: str, value: Any) -> Iterator[ReadItem]:
        """The records of one top-level entry decoded whole, as ``_document_records`` gives them."""
        for item in _document_records({key: value}, self._name):
            yield from self._give(item)


def read_yaml(path: Path) -> Iterator[ReadItem]:
    text = _decode(_read_bytes(path), str(path))
    try:
        doc = load_user_yaml(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise InputFileError(f"{path}: malformed YAML: {exc}") from None
    yield from _document_records(doc, str(path))


def read_jsonl(path: Path, stream: io.TextIOBase | None = None, kinds: frozenset[str] | None = None,
               first_line: int = 1) -> Iterator[ReadItem]:
    """One record per line, read line by line. With ``kinds``, only lines that may hold a record of
    those kinds are parsed (see ``may_be_kind``); the others are skipped unread. ``first_line`` is
    the number of the stream's first line (a stream that is part of the file)."""
    name = str(path)
    if stream is None:
        with _open_text(path, "\n") as handle:
            yield from read_jsonl(path, handle, kinds, first_line)
        return
    for number, line in enumerate(stream, start=first_line):
        if not line.strip():
            continue
        if kinds is not None and not may_be_kind(line, kinds):
            continue
        try:
            item = _loads_line(line)
        except json.JSONDecodeError as exc:
            yield InputProblem(name, f"line {number}", "$", f"malformed JSON at column {exc.colno}: {exc.msg}",
                               message_zh=f"JSON 格式错误（第 {exc.colno} 列）：{exc.msg}")
            continue
        except RecursionError:
            yield InputProblem(name, f"line {number}", "$", "JSON nested too deeply to be a record",
                               message_zh="JSON 嵌套过深，不是一条记录")
            continue
        if not isinstance(item, dict):
            yield InputProblem(name, f"line {number}", "$", "expected a JSON object")
            continue
        kind = item.pop("kind", "product") if item.get("kind") in KINDS else "product"
        yield RawRecord(kind, item, name, f"line {number}")


def _loads_line(line: str) -> Any:
    """``json.loads(line, parse_float=Decimal)`` with one decoder for every line (``json.loads`` builds a
    decoder per call when given ``parse_float``), refusing a leading byte-order mark as it does."""
    if line.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
    return _DECODER.decode(line)


_KIND_KEY = re.compile(r'"kind"\s*:\s*"([a-z_]+)"')


def may_be_kind(line: str, kinds: frozenset[str]) -> bool:
    """Whether a JSONL line may decode to a record of one of ``kinds`` (never false when it does).

    Other kinds than products are named by ``"kind": "..."``; a line that spells a key or value
    with ``\\u`` escapes is always parsed, so no spelling hides a record.
    """
    if "\\u" in line:
        return True
    return "kind" in line and any(found in kinds for found in _KIND_KEY.findall(line))


def _header_map(extra: Mapping[str, str] | None = None, profile: Profile | None = None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for canonical, aliases in column_aliases()["headers"].items():
        mapping[canonical] = canonical
        for alias in aliases:
            mapping[alias.strip().lower()] = canonical
            mapping[alias.strip()] = canonical
    for header, canonical in (profile.headers if profile else {}).items():  # a back end's own names
        mapping[header] = canonical
        mapping[header.lower()] = canonical
    for header, canonical in (extra or {}).items():  # a merchant's own export: their headers win
        mapping[header.strip()] = canonical
        mapping[header.strip().lower()] = canonical
    return mapping


def load_column_map(path: str | Path) -> dict[str, str]:
    """A mapping file ``columns: {ERP列名: field}`` and/or ``categories: {平台类目: guard类目}``.

    Every field must be one guard reads and every category one of guard's; a platform category is
    matched whole (an id such as 50010788) or by any level of a path (美妆>面部护肤>面霜)."""
    file = Path(path)
    try:
        doc = load_user_yaml(_decode(_read_bytes(file), str(file)))
    except (yaml.YAMLError, ValueError) as exc:
        raise InputFileError(f"{file}: malformed YAML: {exc}") from None
    columns = doc.get("columns", {}) if isinstance(doc, dict) else None
    categories = doc.get("categories", {}) if isinstance(doc, dict) else None
    if not isinstance(columns, dict) or not isinstance(categories, dict) or not (columns or categories):
        raise InputFileError(f"{file}: expected `columns:` mapping each of your column headers to a field, "
                             "and/or `categories:` mapping each platform category to one of guard's")
    known = set(column_aliases()["headers"])
    mapping: dict[str, str] = {}
    for header, field_name in columns.items():
        if str(field_name) not in known:
            raise InputFileError(f"{file}: column {header!r}: unknown field {field_name!r}; known: {', '.join(sorted(known))}")
        mapping[str(header)] = str(field_name)
    by_category: dict[str, str] = {}
    for platform_category, category in categories.items():
        try:
            by_category[str(platform_category).strip()] = taxonomy().category(str(category).strip()).id
        except ValueError as exc:
            raise InputFileError(f"{file}: categories: {platform_category!r}: {exc}") from None
    return ColumnMap(mapping, by_category)


_UNIT = re.compile(r"\s*[（(【\[][^）)】\]]*[）)】\]]\s*$")  # 价格（元）, 库存(件), 售价【元】
_MARKS = "*＊:：　 "


def _canonical_header(label: str, headers: dict[str, str]) -> str | None:
    """The field a header names, accepting units in brackets and required-field marks (*商品名称)."""
    text = label.strip().strip(_MARKS)
    for candidate in (text, _UNIT.sub("", text).strip(_MARKS)):
        found = headers.get(candidate) or headers.get(candidate.lower())
        if found:
            return found
    return None


_MONEY_FIELDS = frozenset({"price", "price2", "reference_price", "discount", "threshold", "top_prize", "room_price"})
_ID_FIELDS = frozenset({"id", "merchant", "product"})
HEADER_SEARCH_ROWS = 10  # a title or notes row may stand above the header row
SKU_FIELDS = ("sku_id", "sku_spec", "sku_price", "sku_stock", "sku_reference_price")


def _spreadsheet_number(key: str, value: Any, rounded: list[str]) -> Any:
    """Numbers as a spreadsheet shows them: ids are text (100234, not 100234.0), money to the fen."""
    if isinstance(value, bool):
        return value
    if key in _ID_FIELDS and isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if key in _MONEY_FIELDS and isinstance(value, float):
        fen = round(value * 100)
        if abs(value * 100 - fen) > 1e-6:
            return value  # a real third decimal: the model refuses it with the reason
        if repr(value) != repr(fen / 100):
            rounded.append(key)
        return Decimal(fen) / 100
    return value


def _split_items(cell: str) -> list[str]:
    for sep in (";", "；", "\n"):
        cell = cell.replace(sep, ";")
    return [part.strip() for part in cell.split(";") if part.strip()]


def _cell_value(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if (value.hour, value.minute, value.second) == (0, 0, 0) and key.endswith("_on") else value
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith(("[", "{")):
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            return text
    if key == "qualifications":
        quals = []
        for part in _split_items(text):
            fields = [f.strip() for f in part.split("|")]
            entry: dict[str, Any] = {"type": fields[0]}
            if len(fields) > 1 and fields[1]:
                entry["number"] = fields[1]
            if len(fields) > 2 and fields[2]:
                entry["valid_until"] = fields[2]
            quals.append(entry)
        return quals
    if key == "price_history":
        points = []
        for part in _split_items(text):
            at, _, price = part.rpartition("=")
            points.append({"at": at.strip(), "price": price.strip()})
        return points
    if key in _LIST_FIELDS:
        return [p.strip() for p in text.replace("、", ";").replace(",", ";").replace("，", ";").split(";") if p.strip()]
    return text


def _find_header(rows: list[tuple[int, list[Any]]], headers: dict[str, str]) -> int | None:
    """Index of the header row among the first rows: the first naming at least two known fields."""
    for index, (_, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = {_canonical_header(str(cell), headers) for cell in row if cell is not None and str(cell).strip()}
        known.discard(None)
        if len(known) >= 2:
            return index
    return None


def locate_header(head: Sequence[Sequence[Any]], columns_map: Mapping[str, str] | None = None,
                  ) -> tuple[int | None, Profile | None]:
    """Which of a table's first rows is its header (None: none is), and the back end whose header it is.

    A back end's own header row wins over a row of API names above it; else the first row naming two
    known columns."""
    for index, row in enumerate(head[:HEADER_SEARCH_ROWS]):
        profile = detect(str(cell).strip() for cell in row if cell is not None)
        if profile is not None:
            return index, profile
    return _find_header(list(enumerate(head)), _header_map(columns_map)), None


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA, as spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _tabular_records(rows: Iterator[tuple[int, list[Any]]], name: str, sheet: str | None = None,
                     columns_map: Mapping[str, str] | None = None, spreadsheet: bool = False) -> Iterator[ReadItem]:
    """Records of one table; locations are "row N", or "sheet!row N" for a workbook's sheets after the first."""
    prefix = f"{sheet}!" if sheet else ""
    head: list[tuple[int, list[Any]]] = []
    for item in rows:
        head.append(item)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    if not head:
        return
    found, profile = locate_header([row for _, row in head], columns_map)
    if found is None:
        yield InputProblem(name, f"{prefix}row {head[0][0]}", "$", "no header row: none of the first rows names two known "
                           "columns (商品ID, 商品名称, 类目, 价格 …)",
                           message_zh="找不到表头：前几行都没有两个以上可识别的列名（商品ID、商品名称、类目、价格……）")
        return
    header_number, header_row = head[found]
    table = header_columns(header_row, columns_map, profile)
    if profile is not None:
        yield profile_notice(name, f"{prefix}row {header_number}", profile)
    letters = _reference_first({column: _column_letter(index) for index, column in enumerate(table.fields) if column}
                               if spreadsheet else {})
    if table.ignored:
        yield ignored_notice(name, f"{prefix}row {header_number}", table.ignored)
    categories = getattr(columns_map, "categories", None)
    rounded: list[str] = []
    pending: RawRecord | None = None  # an SPU whose SKU rows may continue on the next row
    for number, row in itertools.chain(head[found + 1:], rows):
        record = row_record(table, row, categories, rounded)
        if not record:
            continue
        sku = _pop_sku(record)
        if sku and pending is not None and (record.get("id") in (None, pending.data.get("id"))):
            pending.data["skus"].append(sku)  # another SKU row of the same SPU
            continue
        if pending is not None:
            yield _settled(pending)
            pending = None
        cells = {field_name: f"{letter}{number}" for field_name, letter in letters.items()} if letters else None
        item = RawRecord("product", record, name, f"{prefix}row {number}", table.labels, cells)
        if sku:
            record["skus"] = [sku]
            pending = item
        else:
            yield item
    if pending is not None:
        yield _settled(pending)
    if rounded:
        yield InputProblem(name, "file", "$", f"{len(rounded)} amounts stored with spreadsheet float noise were read "
                           "to the fen, as the spreadsheet shows them", warning=True,
                           message_zh=f"{len(rounded)} 个金额带有表格浮点误差，已按表格显示值取到分")


@dataclass(frozen=True)
class Columns:
    """What a table's header row says: the field of each column (None: not read), the order in which a
    back end's columns for one field are tried, which columns hold fen, and what was ignored."""

    fields: tuple[str | None, ...]
    order: tuple[int, ...]
    in_fen: frozenset[int]
    ignored: tuple[str, ...]
    labels: Mapping[str, str]  # field -> header as written
    profile: Profile | None


def header_columns(header_row: Sequence[Any], columns_map: Mapping[str, str] | None = None,
                   profile: Profile | None = None) -> Columns:
    """Read a header row with guard's column names and aliases, a back end's ``profile`` and ``columns_map``."""
    headers = _header_map(columns_map, profile)
    columns: list[str | None] = []
    ignored: list[str] = []
    in_fen: set[int] = set()
    for index, cell in enumerate(header_row):
        label = str(cell).strip() if cell is not None else ""
        column = _canonical_header(label, headers) if label else None
        if label and column is None:
            ignored.append(label)
        if profile is not None and label in profile.fen:
            in_fen.add(index)
        columns.append(column)
    order = list(range(len(columns)))
    if profile is not None:
        ranks = {label: rank for rank, label in enumerate(profile.headers)}  # the profile's order for one field
        order.sort(key=lambda i: ranks.get(str(header_row[i]).strip() if header_row[i] is not None else "", -1))
    if "price" in columns and columns.count("price") > 1:
        columns = _split_price_columns(list(header_row), columns)
    labels = _reference_first({column: str(cell).strip() for cell, column in zip(header_row, columns) if column})
    return Columns(tuple(columns), tuple(order), frozenset(in_fen), tuple(ignored), labels, profile)


def ignored_notice(name: str, where: str, ignored: Sequence[str]) -> InputProblem:
    return InputProblem(name, where, "$", f"columns ignored (not used by any rule): {'、'.join(ignored)}", warning=True,
                        message_zh=f"以下列未被任何规则使用，已忽略：{'、'.join(ignored)}")


def row_record(table: Columns, row: Sequence[Any], categories: Mapping[str, str] | None = None,
               rounded: list[str] | None = None) -> dict[str, Any]:
    """One data row as a product record (empty when the row is): cells read as a spreadsheet shows them,
    a back end's defaults and fen, platform categories mapped, and 原价 beside 售价 read as a discount.
    Its SKU columns are left as ``sku_*`` fields for the caller, which may gather an SPU's rows."""
    record: dict[str, Any] = {}
    profile = table.profile
    noise = rounded if rounded is not None else []
    for index in table.order:
        column, value = table.fields[index], row[index] if index < len(row) else None
        if column is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if profile is not None and column in record:
            continue  # the profile names its columns for one field in order: the first filled one wins
        if index in table.in_fen:
            value = fen_to_yuan(value)
        record[column] = _cell_value(column, _spreadsheet_number(column, value, noise))
    if profile is not None and record:
        for key, default in profile.defaults.items():
            record.setdefault(key, default)
        if "reference_price" in record and "sku_price" in record:  # a SKU's 划线价: settled over the SPU's SKUs
            record["sku_reference_price"] = record.pop("reference_price")
    if categories and "category" in record:
        record["category"] = resolve_category(record["category"], categories)
    if "reference_price" in record:  # 原价 beside 售价: the product shows a discount
        record.setdefault("price_type", "discount")
        record["price2"] = record.pop("price", None)
        record["price"] = record.pop("reference_price")
        if record["price2"] is None:
            del record["price2"]
            record["price_type"] = "fixed"
    return record


def _pop_sku(record: dict[str, Any]) -> dict[str, Any]:
    """The row's SKU columns, taken out of its record, as one SKU (empty when the row has none)."""
    return {key.removeprefix("sku_"): record.pop(key) for key in SKU_FIELDS if key in record}


def single_row_product(record: dict[str, Any]) -> dict[str, Any]:
    """A row's record as a whole product: its SKU columns become its one SKU (a row read on its own)."""
    sku = _pop_sku(record)
    if sku:
        record["skus"] = [sku]
        _settle(record)
    return record


def gathered_product(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """An SPU's consecutive SKU rows (each a ``row_record``, in order) as one product, as a table is read:
    the first row's record, with every row's SKU."""
    product = rows[0]
    product["skus"] = [_pop_sku(row) for row in rows]
    _settle(product)
    return product


def _settle(product: dict[str, Any]) -> None:
    """A product once all its SKUs are read: a 划线价 its SKUs share becomes the product's discount display."""
    if any("reference_price" in sku for sku in product["skus"]):
        reference_from_skus(product)


def _settled(spu: RawRecord) -> RawRecord:
    _settle(spu.data)
    return spu


def _reference_first(by_field: dict[str, str]) -> dict[str, str]:
    """Per-field header facts (labels, column letters) as the record is rebuilt below: beside a 原价
    column, the reference price is read as ``price`` and the selling price as ``price2``."""
    if "reference_price" in by_field:
        by_field["price2"], by_field["price"] = by_field.get("price", ""), by_field["reference_price"]
    return by_field


def _split_price_columns(header_row: list[Any], columns: list[str | None]) -> list[str | None]:
    """Two price columns: 原价/划线价/吊牌价 is the reference price, the other the selling price."""
    reference_words = tuple(column_aliases()["reference_price_headers"])
    result = list(columns)
    for index, (cell, column) in enumerate(zip(header_row, columns)):
        if column == "price" and str(cell).strip().startswith(reference_words):
            result[index] = "reference_price"
    return result


def _delimiter(text: str) -> str:
    """Comma, or tab for "Unicode text" and data-package exports: whichever the first lines use more."""
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    return "\t" if head.count("\t") > head.count(",") else ","


def sniff_delimiter(handle: io.TextIOBase) -> str:
    """The delimiter of an open CSV file, from its first lines (``_delimiter``); the handle is left at its start."""
    head = "".join(itertools.islice(handle, HEADER_SEARCH_ROWS))
    handle.seek(0)
    return _delimiter(head)


def read_csv(path: Path, columns_map: Mapping[str, str] | None = None) -> Iterator[ReadItem]:
    """Rows read one at a time; a malformed row ends the file with an error (nothing of it is checked)."""
    with _open_text(path, "\n") as handle:  # lines split as io.StringIO split the whole text
        reader = csv.reader(handle, delimiter=sniff_delimiter(handle))

        def rows() -> Iterator[tuple[int, list[Any]]]:
            try:
                for number, row in enumerate(reader, start=1):
                    yield number, list(row)
            except csv.Error as exc:
                raise InputFileError(f"{path}: malformed CSV: {exc}") from None

        yield from _tabular_records(rows(), str(path), None, columns_map)


def read_xlsx(path: Path, columns_map: Mapping[str, str] | None = None) -> Iterator[ReadItem]:
    from openpyxl import load_workbook  # imported only when a spreadsheet is read

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise InputFileError(f"{path}: cannot open as XLSX: {exc}") from None
    try:
        preferred = [n for n in ("products", "商品", "商品库") if n in workbook.sheetnames]
        sheets = [workbook[n] for n in preferred] or list(workbook.worksheets)
        found_any = False
        for index, sheet in enumerate(sheets):
            rows = ((i, list(r)) for i, r in enumerate(sheet.iter_rows(values_only=True), start=1))
            items = _tabular_records(rows, str(path), sheet.title if index else None, columns_map, spreadsheet=True)
            first = next(items, None)
            if first is None:
                continue
            if isinstance(first, InputProblem) and first.message.startswith("no header row") and len(sheets) > 1:
                yield InputProblem(str(path), f"{sheet.title}!row 1", "$", f"sheet {sheet.title!r} skipped: no header row",
                                   warning=True)
                continue
            found_any = True
            yield first
            yield from items
        if not found_any and len(sheets) > 1:
            yield InputProblem(str(path), "file", "$", "no sheet has a header row naming two known columns")
    finally:
        workbook.close()


READERS = {
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".yaml": read_yaml,
    ".yml": read_yaml,
    ".csv": read_csv,
    ".xlsx": read_xlsx,
}


def read_file(path: str | Path, columns_map: Mapping[str, str] | None = None) -> Iterator[ReadItem]:
    """Yield the records and record-level problems of one catalog file, chosen by its suffix.

    ``columns_map`` adds a merchant's own column headers (from ``load_column_map``) for CSV and XLSX.
    """
    file = Path(path)
    reader = READERS.get(file.suffix.lower())
    if reader is None:
        raise InputFileError(f"{file}: unknown file type {file.suffix!r}; use one of {', '.join(sorted(READERS))}")
    if not file.exists():
        raise InputFileError(f"{file}: no such file")
    if reader in (read_csv, read_xlsx):
        return reader(file, columns_map)  # type: ignore[call-arg]
    return _json_profiles(reader(file), str(file), getattr(columns_map, "categories", None))


class ProfileAdapter:
    """Reads JSON, JSON-lines and YAML product records in a back end's own shape (a profile) as guard's.

    ``adapt`` passes items through, rewriting the product records of a profile (and mapping their
    categories); what it found is kept, so the notices of several parts of one file, adapted in
    turn by several adapters, can be joined in file order (``merge``) and said once (``notices``).
    """

    def __init__(self, categories: Mapping[str, str] | None = None) -> None:
        self.categories = categories
        self.found: dict[str, Profile] = {}
        self.unused: dict[str, None] = {}

    def adapt(self, items: Iterable[ReadItem]) -> Iterator[ReadItem]:
        categories = self.categories
        for item in items:
            if isinstance(item, RawRecord) and item.kind == "product" and isinstance(item.data, dict):
                profile = detect_record(item.data)
                data = item.data
                if profile is not None:
                    self.found.setdefault(profile.key, profile)
                    data, left = adapt_record(item.data, profile)
                    self.unused.update(dict.fromkeys(left))
                if categories and "category" in data:
                    data = {**data, "category": resolve_category(data["category"], categories)}
                if data is not item.data:
                    item = RawRecord(item.kind, data, item.file, item.location, item.labels, item.cells)
            yield item

    def merge(self, later: ProfileAdapter) -> None:
        """Add what ``later`` found in a later part of the same file."""
        for key, profile in later.found.items():
            self.found.setdefault(key, profile)
        self.unused.update(later.unused)

    def notices(self, name: str) -> Iterator[InputProblem]:
        """The warnings said at the end of the file: each profile found, then the keys they left unused."""
        for profile in self.found.values():
            yield profile_notice(name, "file", profile)
        if self.unused:
            keys = "、".join(self.unused)
            yield InputProblem(name, "file", "$", f"fields ignored (not used by any rule): {keys}", warning=True,
                               message_zh=f"以下字段未被任何规则使用，已忽略：{keys}")


def _json_profiles(items: Iterator[ReadItem], name: str, categories: Mapping[str, str] | None) -> Iterator[ReadItem]:
    """JSON, JSON-lines and YAML product records in a back end's own shape (a profile) read as guard's.

    Each profile found is said once per file, with the keys it left unused."""
    adapter = ProfileAdapter(categories)
    yield from adapter.adapt(items)
    yield from adapter.notices(name)


def profile_notice(name: str, where: str, profile: Profile) -> InputProblem:
    return InputProblem(name, where, "$", f"read as {profile.en} ({profile.source})", warning=True,
                        message_zh=f"按「{profile.zh}」格式读取（依据：{profile.source}）")

