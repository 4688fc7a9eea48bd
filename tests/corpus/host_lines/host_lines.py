"""Reading the reviewers' host lines (see README.md): labels, and the half each line belongs to."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("zui.tsv", "mixed.tsv", "hostile.tsv", "speech.tsv", "listings.tsv", "stories.tsv")
TUNED_WHOLE = frozenset({"zui.tsv", "hostile.tsv"})  # read whole while tuning: every line counts as tune
LABELS = ("claim", "ok")


@dataclass(frozen=True)
class HostLine:
    file: str
    number: int
    claim: bool
    text: str

    @property
    def half(self) -> str:
        if self.file in TUNED_WHOLE:
            return "tune"
        return "tune" if hashlib.sha256(self.text.encode("utf-8")).digest()[0] % 2 == 0 else "report"


def load(files: tuple[str, ...] = FILES, root: Path = HERE) -> list[HostLine]:
    """Every labelled line of ``files``. A line without a known label, or repeated within a file, is an
    error; a line an earlier file holds (the examples in the reviewers' brief) counts once, there."""
    found = []
    seen: dict[str, str] = {}
    for name in files:
        for number, raw in enumerate((root / name).read_text(encoding="utf-8").splitlines(), start=1):
            if not raw.strip():
                continue
            label, _, text = raw.partition("\t")
            if label not in LABELS or not text.strip():
                raise ValueError(f"{name}:{number}: expected claim|ok, a tab and the line")
            if seen.get(text) == name:
                raise ValueError(f"{name}:{number}: the line appears twice: {text}")
            if text in seen:
                continue
            seen[text] = name
            found.append(HostLine(name, number, label == "claim", text))
    return found
