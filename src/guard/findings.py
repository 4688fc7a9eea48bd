"""Findings (frozen values) and the Report that carries them."""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from guard.errors import InputProblem
from guard.facts import Subject
from guard.rules.english import section_en
from guard.rules.loader import FROM_TERM, Rule, RuleSet


@dataclass(frozen=True, slots=True)
class SourceRef:
    source: str
    title: str
    section: str | None
    confidence: str
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (
            ("source", self.source), ("title", self.title), ("section", self.section),
            ("confidence", self.confidence), ("url", self.url),
        ) if v is not None}


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation (or piece of advice) with everything needed to act on it."""

    rule: str
    name: str
    topic: str
    tier: str
    penalty: str
    platform: str
    product: str | None
    subject: str
    path: str
    message: str
    fix: str
    sources: tuple[SourceRef, ...]
    file: str | None = None
    configurable_default: bool = False
    start: int | None = None
    end: int | None = None
    line: int | None = None
    column: int | None = None
    matched: str | None = None
    term: str | None = None
    family: str | None = None
    event: str | None = None  # monitor: the event that started the clock or triggered the rule
    deadline: str | None = None
    breached_at: str | None = None
    actions: tuple[str, ...] = ()

    def to_dict(self, sources: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "name": self.name,
            "topic": self.topic,
            "tier": self.tier,
            "penalty": self.penalty,
            "platform": self.platform,
            "product": self.product,
            "subject": self.subject,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
            "configurable_default": self.configurable_default,
        }
        if sources:
            data["sources"] = [s.to_dict() for s in self.sources]
        if self.file is not None:
            data["file"] = self.file
        if self.event is not None:
            data.update(event=self.event, deadline=self.deadline, breached_at=self.breached_at, actions=list(self.actions))
        if self.family is not None:
            data.update(
                start=self.start, end=self.end, line=self.line, column=self.column,
                matched=self.matched, term=self.term, family=self.family,
            )
        return data


@dataclass(frozen=True)
class Summary:
    read: int
    checked: int
    rejected: int
    by_kind: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "checked": self.checked, "rejected": self.rejected, "by_kind": dict(self.by_kind)}


@dataclass(frozen=True)
class Report:
    """The result of a check: findings, input problems and counts. Iterating yields findings."""

    findings: tuple[Finding, ...]
    problems: tuple[InputProblem, ...] = ()
    summary: Summary = field(default_factory=lambda: Summary(0, 0, 0, {}))
    engine: str = "native"
    warnings: tuple[InputProblem, ...] = ()  # about the input, once per file; nothing was rejected
    # findings by tier when they were written out as they were made instead of kept (findings is then empty)
    tally: Mapping[str, int] | None = None

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def counts(self) -> dict[str, int]:
        if self.tally is not None:
            return dict(self.tally)
        return dict(Counter(f.tier for f in self.findings))

    def total(self) -> int:
        """How many findings the check made (kept or only counted)."""
        return sum(self.tally.values()) if self.tally is not None else len(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
            "summary": {**self.summary.to_dict(), "findings": self.counts()},
            "engine": self.engine,
        }


_BASIS_EN = {"7日内最低成交价": "lowest transaction price of the 7 days before", "最近一次成交价": "last transaction price",
             "无成交记录": "no transaction record"}


def format_value(value: Any, spec: str) -> str:
    """Render one placeholder value: ``yuan`` shows fen as yuan, ``bp`` basis points as percent,
    ``duration`` / ``duration_en`` seconds as hours, minutes and seconds (24小时0分1秒 / 24 h 0 min 1 s)."""
    if spec == "yuan" and isinstance(value, int):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
    if spec == "bp" and isinstance(value, int):
        return f"{value / 100:g}%"
    if spec == "basis_en" and isinstance(value, str):
        return _BASIS_EN.get(value, value)
    if spec in ("duration", "duration_en") and isinstance(value, int):
        hours, rest = divmod(abs(value), 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [(hours, "小时", " h"), (minutes, "分", " min"), (seconds, "秒", " s")]
        while len(parts) > 1 and parts[0][0] == 0:  # no leading zero units: 10分0秒, not 0小时10分0秒
            parts.pop(0)
        if spec == "duration":
            return "".join(f"{n}{zh}" for n, zh, _ in parts)
        return " ".join(f"{n}{en}" for n, _, en in parts)
    return str(value)


class Template:
    """A message template compiled once: ``{field}``, ``{field:yuan}`` and ``{field:bp}`` placeholders."""

    def __init__(self, text: str) -> None:
        pieces: list[str] = []
        self.fields: list[tuple[str, str, str]] = []  # (key in pattern, value name, spec)
        for literal, name, spec, _ in string.Formatter().parse(text):
            pieces.append(literal.replace("{", "{{").replace("}", "}}"))
            if name is None:
                continue
            key = f"f{len(self.fields)}"
            self.fields.append((key, name, spec or ""))
            pieces.append("{" + key + "}")
        self.pattern = "".join(pieces)
        self._constant = None if self.fields else self.pattern.format_map({})  # a text without placeholders

    def render(self, *sources: Mapping[str, Any]) -> str:
        """Fill the placeholders from the first source that has each name; unknown values show as ``?``."""
        if self._constant is not None:
            return self._constant
        filled = {}
        for key, name, spec in self.fields:
            for source in sources:
                if name in source:
                    value = source[name]
                    filled[key] = str(value) if not spec else format_value(value, spec)
                    break
            else:
                filled[key] = "?"
        return self.pattern.format_map(filled)


class FindingBuilder:
    """Renders a fired rule on a subject into a Finding, in one language."""

    def __init__(self, ruleset: RuleSet, lang: str = "zh") -> None:
        if lang not in ("zh", "en"):
            raise ValueError(f"lang must be zh or en, got {lang!r}")
        self.ruleset = ruleset
        self.lang = lang
        self._sources: dict[str, tuple[SourceRef, ...]] = {}
        self._templates: dict[str, tuple[Template, Template]] = {}
        self._penalties: dict[tuple[str, str, str], str] = {}  # (rule, tier, platform) -> penalty text

    def templates(self, rule: Rule) -> tuple[Template, Template]:
        compiled = self._templates.get(rule.id)
        if compiled is None:
            compiled = (Template(getattr(rule.message, self.lang)), Template(getattr(rule.fix, self.lang)))
            self._templates[rule.id] = compiled
        return compiled

    def sources(self, rule: Rule) -> tuple[SourceRef, ...]:
        refs = self._sources.get(rule.id)
        if refs is None:
            english = self.lang == "en"
            refs = tuple(
                SourceRef(c.source, (source.title_en or source.title) if english else source.title,
                          section_en(c.section) if english else c.section, c.confidence, source.url)
                for c in rule.cite
                for source in (self.ruleset.sources[c.source],)
            )
            self._sources[rule.id] = refs
        return refs

    @staticmethod
    def _tier_name(tier: str) -> str:
        return {"severe": "严重违规", "general": "一般违规", "minor": "轻微违规"}.get(tier, tier)

    def _penalty(self, rule: Rule, tier: str, platform: str) -> str:
        key = (rule.id, tier, platform)
        text = self._penalties.get(key)
        if text is None:
            penalty = self.ruleset.penalties[tier][platform]
            text = getattr(penalty, self.lang)
            if rule.spec.tier_basis == "default" and tier != "info":
                text = (f"按{self._tier_name(tier)}推定：{text}（种子与来源均未给本项定级，可配置）" if self.lang == "zh"
                        else f"inferred from the {tier} tier: {text} (no source tiers this item; configurable)")
            self._penalties[key] = text
        return text

    def build(self, rule: Rule, subject: Subject) -> Finding:
        platform = subject.platform
        params = rule.params[platform]
        message, fix = self.templates(rule)
        facts = subject.facts
        tier = str(facts["term_tier"]) if rule.tier == FROM_TERM else rule.tier
        path = f"{subject.path}.{rule.field}" if rule.field and subject.record else subject.path
        text = subject.text
        if not text:  # most subjects are records, not text hits or monitor events
            return Finding(rule.id, rule.name, rule.topic, tier, self._penalty(rule, tier, platform), platform,
                           subject.product, subject.key, path, message.render(facts, params), fix.render(facts, params),
                           self.sources(rule), subject.file, rule.low_confidence, None, None, None, None, None, None,
                           None, None, None, None, rule.actions)
        return Finding(rule.id, rule.name, rule.topic, tier, self._penalty(rule, tier, platform), platform,
                       subject.product, subject.key, path, message.render(facts, params), fix.render(facts, params),
                       self.sources(rule), subject.file, rule.low_confidence, text.get("start"), text.get("end"),
                       text.get("line"), text.get("column"), text.get("matched"), text.get("term"), text.get("family"),
                       text.get("event"), text.get("deadline"), text.get("breached_at"), rule.actions)
