"""Token boundaries (and, for a clause around a hit, parts of speech) from jieba, computed only near candidates.

jieba first splits its input into blocks of ``[\\u4E00-\\u9FD5a-zA-Z0-9+#&._%-]`` and segments
each block on its own, so segmenting only the block that holds a hit gives exactly the tokens a
full segmentation would. Clean text never reaches this module, and jieba (about 0.4 s and 90 MB
to initialise) is loaded only when the first hit needs a boundary check. The dictionary-only
path (HMM off) is used: with HMM on, jieba glues unknown neighbours into new words and real hits
vanish (能美白, 公众号领资料).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")  # jieba 0.42.1 re_han_default


def cache_dir() -> Path | None:
    """guard's cache directory ($GUARD_CACHE_DIR, else $XDG_CACHE_HOME/guard or ~/.cache/guard), if writable."""
    base = os.environ.get("GUARD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "guard")
    path = Path(base)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def warm() -> None:
    """Build jieba's dictionary cache now (install steps call this), so the first lint starts fast."""
    Segmenter().boundaries("预热")


class Segmenter:
    """Cached token boundaries per block; thread-safe; jieba loaded on first use."""

    def __init__(self, cache_size: int = 20000) -> None:
        self._jieba: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, frozenset[int]] = OrderedDict()
        self._cache_size = cache_size
        self._tagger: Any = None
        self._tag_cache: OrderedDict[str, tuple[tuple[str, str], ...]] = OrderedDict()

    @property
    def loaded(self) -> bool:
        return self._jieba is not None

    def _tokenizer(self) -> Any:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    cache = cache_dir()
                    if cache is not None:  # keep jieba's prefix-dictionary cache where /tmp cleaning won't reach
                        jieba.dt.tmp_dir = str(cache)
                    jieba.initialize()
                    self._jieba = jieba.dt
        return self._jieba

    def boundaries(self, block: str) -> frozenset[int]:
        """Offsets inside ``block`` where a jieba token starts or ends (0 and len included)."""
        cached = self._cache.get(block)
        if cached is not None:
            self._cache.move_to_end(block)
            return cached
        offsets = {0}
        position = 0
        for token in self._tokenizer().cut(block, HMM=False):
            position += len(token)
            offsets.add(position)
        found = frozenset(offsets)
        with self._lock:
            self._cache[block] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def tags(self, text: str) -> tuple[tuple[str, str], ...]:
        """jieba's (word, part-of-speech) pairs for a short ``text`` (a clause around a hit), HMM off."""
        cached = self._tag_cache.get(text)
        if cached is not None:
            self._tag_cache.move_to_end(text)
            return cached
        if self._tagger is None:
            tokenizer = self._tokenizer()
            with self._lock:
                if self._tagger is None:
                    from jieba import posseg  # importing it builds posseg.dt on jieba.dt: its word-tag table read once

                    self._tagger = posseg.dt if posseg.dt.tokenizer is tokenizer else posseg.POSTokenizer(tokenizer)
        found = tuple((pair.word, pair.flag) for pair in self._tagger.cut(text, HMM=False))
        with self._lock:
            self._tag_cache[text] = found
            if len(self._tag_cache) > self._cache_size:
                self._tag_cache.popitem(last=False)
        return found
