"""Big lints in processes of their own, so that a lint of megabytes does not hold the server's GIL.

Checks and lints run in worker threads, off the event loop; but a lint is Python, and one of a
2 MB script holds the GIL for seconds in small steps: ``/healthz`` beside it answered in 98 ms
at the median and 322 ms at p99 (``bench/bench_serve.py``). A body of at least ``threshold``
bytes is linted in a worker process instead; the thread that serves it only waits. The workers are
forked from the warmed service (rules, matcher and jieba loaded) before the server starts its
threads, so they share its memory and no lock is held at the fork.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from guard.server.app import _answer
from guard.server.limits import Refused
from guard.server.models import LintRequest
from guard.server.service import Service

BIG_LINT = 256 * 1024  # bytes of request body from which a lint runs in a worker process

_SERVICE: Service | None = None  # the service the workers inherit


def _lint(body: bytes) -> tuple[int, Any, dict[str, str] | None]:
    """In a worker: the answer to a lint request, or the status and message it is refused with."""
    assert _SERVICE is not None
    try:
        return 200, _answer(body, LintRequest, _SERVICE.lint), None
    except Refused as exc:  # its own arguments do not survive pickling: carried as parts
        return exc.status, str(exc), exc.headers


class LintProcesses:
    """``processes`` worker processes forked from ``service`` now; ``lint`` answers one request body."""

    def __init__(self, service: Service, processes: int, threshold: int = BIG_LINT) -> None:
        global _SERVICE
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        _SERVICE = service
        self.threshold = threshold
        self._pool = multiprocessing.get_context("fork").Pool(processes)

    def lint(self, body: bytes) -> bytes:
        status, payload, headers = self._pool.apply(_lint, (body,))
        if status != 200:
            raise Refused(status, payload, headers)
        return payload  # type: ignore[no-any-return]

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()
