"""Live script linting: text in, findings with exact offsets out.

The same text path serves ``guard check`` (product names and descriptions) and ``guard lint``
(prepared scripts and caption streams): matcher hits become ``text_hit`` facts, and the content
rules decide tier and penalty from family, category, platform and exemption.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard.engine import Engine, make_engine
from guard.errors import InputFileError
from guard.facts import Subject
from guard.findings import Finding, FindingBuilder, Report, Summary
from guard.io.catalog import Catalog
from guard.model import CHINA_TZ
from guard.rules.loader import Rule, RuleSet, default_rules
from guard.taxonomy import taxonomy
from guard.text.matcher import Hit, Matcher, bundled_matcher

if TYPE_CHECKING:
    from guard.claims.consistency import ScriptChecker


def text_subjects(
    text: str,
    *,
    platform: str,
    category: str | None,
    path: str,
    key: str,
    product: str | None = None,
    file: str | None = None,
    matcher: Matcher | None = None,
    line: int = 1,
    offset: int = 0,
    hits: Iterable[Hit] | None = None,
) -> Iterator[Subject]:
    """One ``text_hit`` subject per verified hit in ``text`` (``hits``, when already scanned).

    ``offset`` is added to start and end (the text's position inside a larger document) and
    ``line`` is the line number of the text's first line; columns count from each line's start.
    """
    tax = taxonomy()
    strict = tax.categories[category].strict if category in tax.categories else False
    counted_to, hit_line, line_start = 0, line, 0  # hits come in order: count newlines incrementally
    for hit in hits if hits is not None else (matcher or bundled_matcher()).scan(text):
        entry = hit.entry
        if hit.start > counted_to:
            hit_line += text.count("\n", counted_to, hit.start)
            newline = text.rfind("\n", counted_to, hit.start)
            if newline >= 0:
                line_start = newline + 1
            counted_to = hit.start
        column = hit.start - line_start + 1
        matched = text[hit.start:hit.end]
        facts: dict[str, Any] = {
            "platform": platform,
            "family": entry.family,
            "term_tier": entry.tier,
            "category_allows_term": category in entry.allowed_categories,
            "platform_applies": platform in entry.platforms,
            "category_strict": strict,
            "exempt": hit.advisory,
            "ambiguous": hit.sense is not None,
            "term": entry.term,
            "matched": matched,
            "note": entry.note,
            "rewrite": "、".join(entry.rewrites) or "删除该用语",
        }
        reason = hit.exemption or hit.sense
        if reason is not None:
            facts["exemption"] = reason.reason_zh.rstrip("。")
            facts["exemption_en"] = reason.reason_en.rstrip(".")
        if category is not None:
            facts["category"] = category
        yield Subject(
            "text_hit", f"{key}@{offset + hit.start}", product, platform, path, facts,
            text={"start": offset + hit.start, "end": offset + hit.end, "line": hit_line, "column": column,
                  "matched": matched, "term": entry.term, "family": entry.family},
            file=file,
        )


def field_hits(matcher: Matcher, fields: list[str]) -> list[list[Hit]]:
    """Scan several short fields in one pass (joined by newlines, which no term spans); hits per field."""
    joined = "\n".join(fields)
    per_field: list[list[Hit]] = [[] for _ in fields]
    hits = matcher.scan(joined)
    if not hits:
        return per_field
    starts, position = [], 0
    for text in fields:
        starts.append(position)
        position += len(text) + 1
    index = 0
    for hit in hits:
        while index + 1 < len(starts) and hit.start >= starts[index + 1]:
            index += 1
        base = starts[index]
        per_field[index].append(Hit(hit.start - base, hit.end - base, hit.entry, hit.exemption, hit.sense))
    return per_field


_FIRED_CACHE = 4096  # distinct text-hit facts remembered per Linter (a script repeats few terms)


def _check_category(category: str | None) -> str | None:
    if category is None:
        return None
    return taxonomy().category(category).id


class Linter:
    """Lints texts with one rule set and engine; reusable and cheap per call.

    With a ``catalog``, what the host says about price, discount, stock, time limits, gifts and
    lotteries is also checked against the products it binds to, at ``now`` (default: now). The
    binding carries from line to line, so one Linter follows one script or caption stream.
    """

    def __init__(self, *, rules: RuleSet | None = None, engine: Engine | str | None = None, lang: str = "zh",
                 catalog: Catalog | None = None, now: datetime | None = None) -> None:
        self.ruleset = rules if rules is not None else default_rules()
        self.engine = engine if isinstance(engine, Engine) else make_engine(self.ruleset, engine)
        self.builder = FindingBuilder(self.ruleset, lang)
        self.matcher = bundled_matcher()
        self._fired: dict[tuple[str, tuple[tuple[str, Any], ...]], list[Rule]] = {}  # text-hit facts -> rules fired
        self.script: ScriptChecker | None = None
        if catalog is not None:
            from guard.claims.consistency import ScriptChecker  # only a catalog cross-check needs it

            self.script = ScriptChecker(catalog, now if now is not None else datetime.now(CHINA_TZ))

    def _claims(self, text: str, *, number: int, offset: int, platform: str, file: str | None,
                path: str) -> list[Subject]:
        if self.script is None:
            return []
        return list(self.script.subjects(text, number=number, offset=offset, platform=platform, file=file,
                                         key=f"{file or 'text'}:{number}", path=path))

    def findings(self, subjects: Iterable[Subject]) -> list[Finding]:
        found = []
        fired = self._fired
        for subject in subjects:
            if subject.kind == "text_hit":  # facts of plain values: the same facts fire the same rules
                key = (subject.platform, tuple(subject.facts.items()))
                rules = fired.get(key)
                if rules is None:
                    if len(fired) >= _FIRED_CACHE:
                        fired.clear()
                    rules = fired[key] = self.engine.fired(subject.kind, subject.platform, subject.facts)
            else:
                rules = self.engine.fired(subject.kind, subject.platform, subject.facts)
            for rule in rules:
                found.append(self.builder.build(rule, subject))
        return found

    def line(self, text: str, number: int, *, category: str | None = None, platform: str = "wechat",
             file: str | None = None, offset: int = 0) -> list[Finding]:
        """Findings for one line of a script or one caption line (and its claims, with a catalog)."""
        found = self.findings(text_subjects(
            text, platform=platform, category=_check_category(category), path=f"line {number}",
            key=f"{file or 'text'}:{number}", file=file, matcher=self.matcher, line=number, offset=offset,
        ))
        if self.script is not None:
            found.extend(self.findings(self._claims(text, number=number, offset=offset, platform=platform, file=file,
                                                    path=f"line {number}")))
            found.sort(key=lambda f: f.start if f.start is not None else -1)
        return found

    def text(self, text: str, *, category: str | None = None, platform: str = "wechat",
             file: str | None = None) -> Report:
        """Lint a whole script in one pass; offsets are code points into ``text``, lines and columns 1-based."""
        findings = self.findings(text_subjects(
            text, platform=platform, category=_check_category(category), path="$", key=file or "text",
            file=file, matcher=self.matcher,
        ))
        if self.script is not None:
            offset = 0
            for number, line in enumerate(text.split("\n"), start=1):
                findings.extend(self.findings(self._claims(line, number=number, offset=offset, platform=platform,
                                                           file=file, path="$")))
                offset += len(line) + 1
            findings.sort(key=lambda f: f.start if f.start is not None else -1)
        count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        summary = Summary(read=count, checked=count, rejected=0, by_kind={"line": count})
        return Report(tuple(findings), (), summary, self.engine.name)


def lint(
    text: str,
    *,
    category: str | None = None,
    platform: str = "wechat",
    engine: Engine | str | None = None,
    rules: RuleSet | None = None,
    lang: str = "zh",
) -> Report:
    """Lint a script: every banned term with rule, tier, penalty, exact offsets and a rewrite."""
    return Linter(rules=rules, engine=engine, lang=lang).text(text, category=category, platform=platform)


def read_script(path: str | Path) -> str:
    """Read a script file as UTF-8 (with or without BOM) or GB18030."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding).replace("\r\n", "\n")
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path}: neither UTF-8 nor GB18030 text")

