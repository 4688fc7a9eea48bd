"""Big lints and catalog checks in processes of their own, so that they do not hold the server's GIL.

Checks and lints run in worker threads, off the event loop; but they are Python, and a lint of a
2 MB script holds the GIL for seconds in small steps: ``/healthz`` beside it answered in 98 ms
at the median and 322 ms at p99 (``bench/bench_serve.py``). A lint or an uploaded catalog
(``/v1/catalog``) of at least ``threshold`` bytes runs in a worker process instead; the thread
that serves it only waits. The workers are forked from the warmed service (rules, matcher and
jieba loaded) before the server starts its threads, so they share its memory and no lock is held
at the fork.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from datetime import datetime
from typing import Any

from guard.server.app import _answer, _library
from guard.server.limits import Refused
from guard.server.models import LintRequest
from guard.server.service import Service

BIG_BODY = 256 * 1024  # bytes of request body from which a lint or a catalog check runs in a worker process

_SERVICE: Service | None = None  # the service the workers inherit


def _run(call: Callable[[], Any]) -> tuple[int, Any, dict[str, str] | None]:
    """In a worker: ``call``'s answer, or the status and message it is refused with.

    Any other exception is raised in the serving thread, as it would be in a thread. One that cannot be
    unpickled (a constructor taking other arguments than its message) is raised as a ``RuntimeError``
    naming it instead: the pool's result thread dies on an exception it cannot unpickle, and that
    request and every later one would wait for ever.
    """
    try:
        return 200, call(), None
    except Refused as exc:  # its own arguments do not survive pickling: carried as parts
        return exc.status, str(exc), exc.headers
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise


def _lint(body: bytes) -> tuple[int, Any, dict[str, str] | None]:
    assert _SERVICE is not None
    return _run(lambda: _answer(body, LintRequest, _SERVICE.lint))  # type: ignore[union-attr]


def _catalog(body: bytes, name: str, lang: str, fmt: str, now: datetime | None) -> tuple[int, Any, dict[str, str] | None]:
    assert _SERVICE is not None
    return _run(lambda: _library(_SERVICE.catalog, body, name, lang, fmt, now))  # type: ignore[union-attr]


class WorkerProcesses:
    """``processes`` worker processes forked from ``service`` now, for bodies of ``threshold`` bytes or more."""

    def __init__(self, service: Service, processes: int, threshold: int = BIG_BODY) -> None:
        global _SERVICE
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        _SERVICE = service
        self.threshold = threshold
        self._pool = multiprocessing.get_context("fork").Pool(processes)

    def _answer(self, call: Callable[..., Any], *args: Any) -> Any:
        status, payload, headers = self._pool.apply(call, args)
        if status != 200:
            raise Refused(status, payload, headers)
        return payload

    def lint(self, body: bytes) -> bytes:
        """A lint request's JSON answer, as ``/v1/lint`` gives it in a thread."""
        return self._answer(_lint, body)  # type: ignore[no-any-return]

    def catalog(self, body: bytes, name: str, lang: str, fmt: str, now: datetime | None) -> Any:
        """``Service.catalog``'s result for an uploaded file, as ``/v1/catalog`` gives it in a thread."""
        return self._answer(_catalog, body, name, lang, fmt, now)

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()
