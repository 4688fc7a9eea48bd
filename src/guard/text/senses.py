"""Senses: is a hit a claim about the goods, or a harmless use of the same characters?

SAMR's 2023 guide treats absolute terms as violations when they describe the goods, the service,
the price or the shop. The same characters also serve the speaker's feelings (我最怕), quantities
and logistics (最少买两件, 最晚明天发), ordinals (第一场), ratings (最大支持128GB), set phrases
(最大的特点) and names (万能试验机). ``lexicons/senses.yaml`` describes each such sense as data: the
terms it applies to and regular expressions for the text just before and just after the hit, on
the same line of normalised text. A sense either drops the hit (``drop``: not a claim), keeps it as
advice (``info``: the sense stays ambiguous) or confirms it (``claim``: the claim sense of a term
whose other uses are ambiguous, so that a later catch-all ``info`` sense does not apply). A hit's
term's senses are tried in file order, then its family's; the first that fits decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from guard.data import data_dir, load_yaml
from guard.errors import RuleFileError
from guard.text.normalise import normalise_term

KINDS = ("feeling", "quantity", "ordinal", "specification", "set_phrase", "name", "negation", "reported", "other")
VERDICTS = ("drop", "info", "claim")
WINDOW = 24  # characters before a hit that a ``before`` pattern may look at


@dataclass(frozen=True, slots=True)
class Sense:
    id: str
    kind: str
    verdict: str
    terms: frozenset[str]  # normalised
    families: frozenset[str]  # or every term of these families
    before: re.Pattern[str] | None  # must match ending exactly at the hit
    after: re.Pattern[str] | None  # must match starting exactly at the hit's end
    reason_zh: str
    reason_en: str

    def fits(self, line: str, start: int, end: int) -> bool:
        """Does the context of ``line[start:end]`` fit this sense?"""
        if self.before is not None and self.before.search(line, max(0, start - WINDOW), start) is None:
            return False
        if self.after is not None and self.after.match(line, end) is None:
            return False
        return True


def _compile(path: Path, sense_id: str, pattern: object, anchor_end: bool) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(f"(?:{pattern})\\Z" if anchor_end else str(pattern))
    except re.error as exc:
        raise RuleFileError(str(path), f"sense {sense_id}: bad pattern {pattern!r}: {exc}") from None


def load_senses(path: Path | None = None) -> tuple[Sense, ...]:
    """Read ``senses.yaml`` (default: bundled); every mistake is a RuleFileError naming the sense."""
    file = path if path is not None else data_dir("lexicons") / "senses.yaml"
    if not file.exists():
        return ()
    try:
        with file.open(encoding="utf-8") as fh:
            doc = load_yaml(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(str(file), f"cannot read senses: {exc}") from exc
    found = []
    seen: set[str] = set()
    for raw in doc.get("entries") or []:
        sense_id = str(raw.get("id", ""))
        if not sense_id or sense_id in seen:
            raise RuleFileError(str(file), f"sense without an id, or a repeated id: {sense_id!r}")
        seen.add(sense_id)
        if raw.get("kind") not in KINDS or raw.get("verdict") not in VERDICTS:
            raise RuleFileError(str(file), f"sense {sense_id}: kind must be one of {KINDS}, verdict one of {VERDICTS}")
        if raw.get("before") is None and raw.get("after") is None:
            raise RuleFileError(str(file), f"sense {sense_id}: give a `before` or an `after` pattern ('' fits always)")
        terms = raw.get("terms") or []
        families = raw.get("families") or []
        if not terms and not families:
            raise RuleFileError(str(file), f"sense {sense_id}: name the terms or families it applies to")
        reason = raw.get("reason") or {}
        if not reason.get("zh") or not reason.get("en"):
            raise RuleFileError(str(file), f"sense {sense_id}: a reason in zh and en")
        found.append(Sense(
            id=sense_id, kind=raw["kind"], verdict=raw["verdict"],
            terms=frozenset(normalise_term(str(t)) for t in terms), families=frozenset(str(f) for f in families),
            before=_compile(file, sense_id, raw.get("before"), anchor_end=True),
            after=_compile(file, sense_id, raw.get("after"), anchor_end=False),
            reason_zh=str(reason["zh"]), reason_en=str(reason["en"]),
        ))
    return tuple(found)
