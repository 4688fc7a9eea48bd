"""Delivery of the outbox: every committed finding and action reaches its destination, in ``seq`` order.

Outputs are committed to the outbox (see ``guard.monitor.store``) in the same transaction as the
state change that caused them; delivery writes them afterwards and then moves the cursor
(``delivered``) in the database. On a restart, what is in the outbox after the cursor is
delivered first. A kill can land between the write and the cursor update, so what is
guaranteed depends on the destination:

- a file (``--output FILE``): exactly once. Each batch is appended, flushed and fsynced before the
  cursor moves, and the cursor records the file's length with it. On restart the bytes after
  that length are compared with what the undelivered outputs render to: complete ones count as
  delivered, a torn last one is cut off, and delivery resumes after them.
- a stream (stdout) or a callback: at least once. A kill after the write and before the cursor
  update delivers that batch again; every output carries its ``seq``, so a reader drops repeats.

``GUARD_MONITOR_CRASH=POINT:N`` kills the process with SIGKILL the N-th time it reaches POINT, so
tests can hit each dangerous point: ``after-commit`` (committed, nothing written), ``mid-write``
(a batch written up to half of its last output) and ``after-write`` (written, cursor not moved).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import IO, Any, Protocol

from guard.findings import Finding, SourceRef
from guard.monitor.store import Store

Record = tuple[int, dict[str, Any]]  # (seq, body)
CRASH_POINTS = ("after-commit", "mid-write", "after-write")
_reached: dict[str, int] = {}
_FINDING_FIELDS = {f.name for f in dataclasses.fields(Finding)}


def crash_point(name: str) -> None:
    """Kill this process here if ``GUARD_MONITOR_CRASH`` asks for it (fault injection for tests)."""
    spec = os.environ.get("GUARD_MONITOR_CRASH")
    if not spec:
        return
    point, _, count = spec.partition(":")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(count or 1):
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def finding_from_dict(body: dict[str, Any]) -> Finding:
    """The Finding a body (``Finding.to_dict``) was made from, for the text renderer."""
    data = {name: value for name, value in body.items() if name in _FINDING_FIELDS}
    data["sources"] = tuple(SourceRef(**source) for source in body.get("sources", ()))
    data["actions"] = tuple(body.get("actions", ()))
    return Finding(**data)


def render(seq: int, body: dict[str, Any], fmt: str = "jsonl", lang: str = "zh") -> str:
    """One output as delivered: a JSON line with ``seq`` first, or text led by ``[seq]``."""
    if fmt == "jsonl":
        return json.dumps({"seq": seq, **body}, ensure_ascii=False) + "\n"
    if "action" in body:
        return f"[{seq}] action: {body['action']} {body['subject']} ({body['rule']}) at {body['at']}\n"
    from guard.report.text import render_finding

    return f"[{seq}] " + render_finding(finding_from_dict(body), lang)


class Destination(Protocol):
    def reconcile(self, store: Store, records: list[Record]) -> tuple[int, dict[str, str]]:
        """How many of ``records`` (undelivered by the cursor) the destination already holds, and
        the cursor metadata that goes with that."""

    def write(self, records: list[Record]) -> dict[str, str]:
        """Deliver ``records``; return the cursor metadata to store with the new cursor."""


class CallbackDestination:
    """Calls ``sink`` with each body (``seq`` added): at least once."""

    def __init__(self, sink: Callable[[dict[str, Any]], None]) -> None:
        self.sink = sink

    def reconcile(self, store: Store, records: list[Record]) -> tuple[int, dict[str, str]]:
        return 0, {}

    def write(self, records: list[Record]) -> dict[str, str]:
        for seq, body in records:
            self.sink({"seq": seq, **body})
        return {}


class StreamDestination:
    """Writes rendered outputs to a text stream (stdout), flushed per batch: at least once."""

    def __init__(self, stream: IO[str], fmt: str = "jsonl", lang: str = "zh") -> None:
        self.stream, self.fmt, self.lang = stream, fmt, lang

    def reconcile(self, store: Store, records: list[Record]) -> tuple[int, dict[str, str]]:
        return 0, {}  # what reached a stream cannot be read back

    def write(self, records: list[Record]) -> dict[str, str]:
        rendered = [render(seq, body, self.fmt, self.lang) for seq, body in records]
        text = "".join(rendered)
        half = _torn_at(rendered)
        self.stream.write(text[:half])
        self.stream.flush()
        crash_point("mid-write")
        self.stream.write(text[half:])
        self.stream.flush()
        return {}


class FileDestination:
    """Appends rendered outputs to a file that is itself the cursor: exactly once."""

    def __init__(self, path: str, fmt: str = "jsonl", lang: str = "zh") -> None:
        self.path, self.fmt, self.lang = path, fmt, lang
        self.name = f"output:{os.path.abspath(path)}"
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def close(self) -> None:
        os.close(self.fd)

    def _mark(self) -> dict[str, str]:
        info = os.fstat(self.fd)
        return {self.name: f"{info.st_ino}:{info.st_size}"}

    def reconcile(self, store: Store, records: list[Record]) -> tuple[int, dict[str, str]]:
        recorded = store.meta(self.name)
        info = os.fstat(self.fd)
        if recorded is None:  # first use with this database: its current end is where ours begin
            return 0, self._mark()
        inode, _, size = recorded.partition(":")
        end = int(size)
        if int(inode) != info.st_ino or info.st_size < end:
            return 0, {}  # another file under this name: it holds none of them
        with open(self.path, "rb") as fh:
            fh.seek(end)
            tail = fh.read()
        position, done = 0, 0
        for seq, body in records:
            expected = render(seq, body, self.fmt, self.lang).encode("utf-8")
            if tail.startswith(expected, position):
                position += len(expected)
                done += 1
                continue
            rest = tail[position:]
            if rest and expected.startswith(rest):  # torn by a kill mid-write: cut off, written again
                os.truncate(self.path, end + position)
            elif rest:
                print(f"guard: {self.path}: unexpected bytes after the last delivered output; appending after them",
                      file=sys.stderr)
            break
        return done, self._mark()

    def write(self, records: list[Record]) -> dict[str, str]:
        rendered = [render(seq, body, self.fmt, self.lang).encode("utf-8") for seq, body in records]
        data = b"".join(rendered)
        half = _torn_at(rendered)
        _write_all(self.fd, data[:half])
        crash_point("mid-write")
        _write_all(self.fd, data[half:])
        os.fsync(self.fd)
        return self._mark()


def _torn_at(rendered: list[Any]) -> int:
    """Where the ``mid-write`` crash point cuts a batch: after all but the last output and half of it."""
    return sum(len(item) for item in rendered[:-1]) + len(rendered[-1]) // 2


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
