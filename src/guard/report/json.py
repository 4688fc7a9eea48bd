"""JSON (one document) and JSONL (one finding per line) output."""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _string
from typing import Any

from guard.findings import Finding, Report, SourceRef

_SOURCES: dict[tuple[SourceRef, ...], str] = {}


def _value(value: Any) -> str:
    """One value as ``json.dumps(value, ensure_ascii=False)`` writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


_HEADS: dict[tuple[str, str, str, str, str, str], str] = {}  # the first six fields, encoded, per rule, tier and platform
_HEADS_MAX = 4096


def finding_line(finding: Finding) -> str:
    """One finding as one line of JSON: ``json.dumps(finding.to_dict())``, written field by field.

    The fields a rule, tier and platform fix (rule, name, topic, tier, penalty, platform) and the
    rule's sources are encoded once and reused; the rest are encoded as ``json.dumps`` encodes them.
    """
    sources = _SOURCES.get(finding.sources)
    if sources is None:
        sources = json.dumps([s.to_dict() for s in finding.sources], ensure_ascii=False)
        _SOURCES[finding.sources] = sources
    key = (finding.rule, finding.name, finding.topic, finding.tier, finding.penalty, finding.platform)
    head = _HEADS.get(key)
    if head is None:
        head = '{"rule": %s, "name": %s, "topic": %s, "tier": %s, "penalty": %s, "platform": %s' % tuple(map(_value, key))
        if len(_HEADS) < _HEADS_MAX:
            _HEADS[key] = head
    parts = [head, ', "product": ', _value(finding.product), ', "subject": ', _value(finding.subject),
             ', "path": ', _value(finding.path), ', "message": ', _value(finding.message), ', "fix": ',
             _value(finding.fix), ', "configurable_default": ', _value(finding.configurable_default)]
    if finding.file is not None:
        parts += ', "file": ', _value(finding.file)
    if finding.event is not None:
        parts += (', "event": ', _value(finding.event), ', "deadline": ', _value(finding.deadline),
                  ', "breached_at": ', _value(finding.breached_at), ', "actions": ',
                  json.dumps(list(finding.actions), ensure_ascii=False))
    if finding.family is not None:
        parts += (', "start": ', _value(finding.start), ', "end": ', _value(finding.end), ', "line": ',
                  _value(finding.line), ', "column": ', _value(finding.column), ', "matched": ',
                  _value(finding.matched), ', "term": ', _value(finding.term), ', "family": ', _value(finding.family))
    parts += ', "sources": ', sources, "}"
    return "".join(parts)


def render_json(report: Report, lang: str = "zh") -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render_jsonl(report: Report, lang: str = "zh") -> str:
    return "".join(finding_line(f) + "\n" for f in report.findings)
