"""Catalogs checked as they are read: products are validated and handed on one at a time.

Checking a product needs the final set of merchants (a product that names none gets the only
one), and promotions and live rooms need the products they refer to, wherever in the files they
stand. So the files are read twice. The first pass takes only merchants, promotions and rooms:
tabular files (CSV, XLSX) hold nothing else and are skipped, and a JSONL line is parsed only when
it may name another kind. The second pass reads everything in input order, with the same
validation, duplicate and problem rules as ``load_catalog``, and keeps of each product only where
its id was first read (``FirstSeen``) unless a promotion or room refers to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from guard.errors import InputFileError, InputProblem
from guard.io.catalog import NO_RECORDS, Catalog, FirstSeen, Intake
from guard.io.readers import KINDS, READERS, RawRecord, ReadItem, read_csv, read_file, read_json, read_jsonl, read_xlsx
from guard.model import Merchant, Product

OTHER_KINDS = frozenset(KINDS) - {"product"}


def _other_records(path: str | Path) -> Iterator[ReadItem]:
    """The records of one file that are not products (and may be), as cheaply as the format allows."""
    file = Path(path)
    reader = READERS.get(file.suffix.lower())
    if reader is None or reader in (read_csv, read_xlsx) or not file.exists():
        return iter(())  # tabular files hold only products; the second pass reports a bad file
    if reader in (read_jsonl, read_json):
        return reader(file, kinds=OTHER_KINDS)  # type: ignore[operator]
    return (item for item in reader(file) if isinstance(item, RawRecord) and item.kind != "product")  # type: ignore[call-arg]


def scan_others(paths: Iterable[str | Path]) -> Catalog:
    """The first pass: a catalog of the files' merchants, promotions and rooms, as the full read
    will find them. A file that cannot be read is passed over here; the second pass reports it."""
    catalog = Catalog()
    for path in paths:
        intake = Intake(catalog)
        try:
            for item in _other_records(path):
                if isinstance(item, RawRecord):
                    intake.take(item)
        except InputFileError:
            continue
    return catalog


class ProductStream:
    """The valid products of a catalog's files in input order, read while iterated (once).

    Reading fills the catalog's merchants, promotions, rooms, problems and counts as ``load_catalog``
    would; they are complete when the iteration ends.
    """

    def __init__(self, paths: Iterable[str | Path], columns: Mapping[str, str] | None, catalog: Catalog) -> None:
        self.paths = list(paths)
        self.columns = columns
        self.catalog = catalog
        self._read = False

    def __iter__(self) -> Iterator[tuple[Product, str, str]]:
        if self._read:
            raise RuntimeError("a streamed catalog's products can be read only once")
        self._read = True
        catalog = self.catalog
        seen = FirstSeen()
        for path in self.paths:
            before = catalog.read
            intake = Intake(catalog, seen, merchants_known=True)
            for item in read_file(path, self.columns):
                product = intake.take(item)
                if product is not None:
                    yield product
            if catalog.read == before:
                catalog.problems.append(InputProblem(str(path), "file", "$", NO_RECORDS[0], message_zh=NO_RECORDS[1]))


def stream_catalog(paths: Iterable[str | Path], columns: Mapping[str, str] | None = None) -> Catalog:
    """A catalog whose products are read as they are checked; check it once with ``check_catalog``.

    Peak memory does not grow with the products beyond each one's id and location.
    """
    files = list(paths)
    others = scan_others(files)
    merchants: dict[str, Merchant] = dict(others.merchants)
    catalog = Catalog(merchants=merchants, kept=others.referenced())
    catalog.products = ProductStream(files, columns, catalog)  # type: ignore[assignment]
    return catalog
