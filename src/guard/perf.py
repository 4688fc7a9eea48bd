"""Performance helpers for bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Reading a 100,000-product catalog creates millions of small objects; each collection
    pass rescans all of them, which doubled load time. Models, facts and findings hold no
    reference cycles, so reference counting alone frees them. The previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
