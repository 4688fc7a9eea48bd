"""A check's output written as its findings are made, so no format needs them all in memory.

``jsonl`` lines go to a temporary file as they come; ``text`` findings go to a temporary SQLite
table and come back grouped by product, worst first, in exactly the order ``render_text`` gives.
The output is handed over only once the check is complete, so a failed run writes nothing, as
before. The other formats (one JSON document, SARIF, annotations, a workbook) keep the findings
and render the report as they always have.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from guard.check import Checking
from guard.findings import Finding, Report
from guard.report.json import finding_line
from guard.report.text import group_header, group_key, grouped_line, is_catalog
from guard.rules.schema import TIERS

_BLOCK = 1 << 20  # bytes copied from the jsonl spool at a time
_TEXT_BLOCK = 1 << 16  # characters of grouped text encoded at a time
_BATCH = 5000  # findings inserted into the text spool at a time


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")  # a lone surrogate is escaped, never lost


class GroupedText:
    """Catalog findings in, ``render_text``'s grouped text out, with the findings kept on disk.

    Groups are ordered by their worst tier, then by size (larger first), then by their first
    finding; a group's findings by tier, then rule, then input order. SQLite sorts, on disk.
    """

    def __init__(self, lang: str = "zh", verbose: bool = False) -> None:
        self.lang, self.verbose = lang, verbose
        self.db = sqlite3.connect("")  # a private temporary database on disk, removed on close
        self.db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -32768;"
                              "CREATE TABLE finding (seq INTEGER PRIMARY KEY, kind TEXT, name TEXT, tier INTEGER,"
                              " tier_name TEXT, rule TEXT, body TEXT)")
        self._batch: list[tuple[int, str, str, int, str, str, str]] = []
        self._seq = 0

    def add(self, finding: Finding) -> None:
        if not is_catalog(finding):
            raise ValueError(f"grouped text is for catalog findings; got subject {finding.subject!r}")
        kind, name = group_key(finding)
        self._batch.append((self._seq, kind, name, TIERS.index(finding.tier), finding.tier, finding.rule,
                            grouped_line(finding, self.lang, self.verbose)))
        self._seq += 1
        if len(self._batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany("INSERT INTO finding VALUES (?, ?, ?, ?, ?, ?, ?)", self._batch)
        self._batch.clear()

    def chunks(self) -> Iterator[bytes]:
        """The text, in pieces of about 64,000 characters."""
        self._flush()
        # The index gives each group's findings in order and its counts; the groups, numbered in
        # their order, are then walked one by one, so nothing is sorted as a whole.
        rows = self.db.executescript(
            "CREATE INDEX finding_group ON finding (kind, name, tier, rule, seq);"
            "CREATE TABLE grp (rank INTEGER PRIMARY KEY, kind TEXT, name TEXT);"
            "INSERT INTO grp (kind, name) SELECT kind, name FROM finding GROUP BY kind, name"
            " ORDER BY MIN(tier), COUNT(*) DESC, MIN(seq);"
        ).execute("SELECT f.kind, f.name, f.tier_name, f.body FROM grp AS g JOIN finding AS f"
                  " ON f.kind = g.kind AND f.name = g.name ORDER BY g.rank, f.tier, f.rule, f.seq")
        out: list[str] = []
        size = 0
        group: tuple[str, str] | None = None
        tiers: list[str] = []
        lines: list[str] = []
        for kind, name, tier, body in rows:
            if (kind, name) != group:
                if group is not None:
                    out.append(group_header(*group, tiers, self.lang))
                    out.extend(lines)
                    size += sum(map(len, lines))
                group, tiers, lines = (kind, name), [], []
                if size >= _TEXT_BLOCK:
                    yield _encode("".join(out))
                    out, size = [], 0
            tiers.append(tier)
            lines.append(body)
        if group is not None:
            out.append(group_header(*group, tiers, self.lang))
            out.extend(lines)
        if out:
            yield _encode("".join(out))

    def close(self) -> None:
        self.db.close()


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """A spool file's bytes from its start, in blocks."""
    handle.seek(0)
    while block := handle.read(_BLOCK):
        yield block


@contextmanager
def rendered_check(checking: Checking, fmt: str, lang: str = "zh", verbose: bool = False
                   ) -> Iterator[tuple[Report, Iterator[bytes]]]:
    """Run the check; yield its report and the output's bytes in pieces (valid inside the block).

    For ``jsonl`` and ``text`` the report holds no findings, only their tally by tier.
    """
    if fmt == "jsonl":
        tally: Counter[str] = Counter()
        with tempfile.TemporaryFile() as spool:
            for finding in checking:
                tally[finding.tier] += 1
                spool.write(_encode(finding_line(finding) + "\n"))
            yield checking.report(tally=dict(tally)), file_chunks(spool)
        return
    if fmt == "text":
        tally = Counter()
        grouped = GroupedText(lang, verbose)
        try:
            for finding in checking:
                tally[finding.tier] += 1
                grouped.add(finding)
            yield checking.report(tally=dict(tally)), grouped.chunks()
        finally:
            grouped.close()
        return
    report = checking.report(tuple(checking))
    if fmt == "xlsx":
        from guard.report.xlsx import render_xlsx

        yield report, iter([render_xlsx(report, lang)])
        return
    from guard.report import RENDERERS

    yield report, iter([_encode(RENDERERS[fmt](report, lang))])
