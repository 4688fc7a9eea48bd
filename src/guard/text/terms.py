"""A plain term check over product names and descriptions (exact substrings, allow phrases win).

This is the first content check: it finds lexicon terms as written. The full matcher
(normalisation, segmentation-verified boundaries, exemptions) replaces it behind ``scan``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import ahocorasick

from guard.text.lexicon import Entry, Lexicon, bundled_lexicon


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    entry: Entry


class TermScanner:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._automaton = ahocorasick.Automaton()
        for term, entry in lexicon.entries.items():
            if len(term) < 2:
                continue  # a one-character term (最) is only safe with segmentation, which this check lacks
            self._automaton.add_word(term, ("term", entry))
        for phrase in lexicon.allow:
            if phrase not in lexicon.entries:
                self._automaton.add_word(phrase, ("allow", phrase))
        self._ready = len(self._automaton) > 0
        if self._ready:
            self._automaton.make_automaton()

    def scan(self, text: str) -> Iterator[Hit]:
        """Yield each term occurrence not covered by an allow phrase, longest first at a position."""
        if not self._ready or not text:
            return
        terms: list[Hit] = []
        allowed: list[tuple[int, int]] = []
        for last, (kind, value) in self._automaton.iter(text):
            if kind == "allow":
                allowed.append((last + 1 - len(value), last + 1))
            else:
                terms.append(Hit(last + 1 - len(value.term), last + 1, value))
        terms.sort(key=lambda h: (h.start, -(h.end - h.start)))
        covered_until = -1
        for hit in terms:
            if any(a <= hit.start and hit.end <= b for a, b in allowed):
                continue
            if hit.end <= covered_until:
                continue  # inside a longer term already reported
            covered_until = max(covered_until, hit.end)
            yield hit


@cache
def bundled_scanner() -> TermScanner:
    return TermScanner(bundled_lexicon())
