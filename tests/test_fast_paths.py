"""Faster ways of doing what plainer code does: each must give exactly what the plain way gives."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW

import guard.io.readers
import guard.report.json
from guard.check import check_files
from guard.findings import Finding, SourceRef
from guard.io.readers import read_jsonl
from guard.model import yuan_to_fen
from guard.report.json import finding_line

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _plain_line(finding: Finding) -> str:
    body = json.dumps(finding.to_dict(sources=False), ensure_ascii=False)
    sources = json.dumps([s.to_dict() for s in finding.sources], ensure_ascii=False)
    return f'{body[:-1]}, "sources": {sources}}}'


def _odd_findings() -> list[Finding]:
    source = SourceRef("S1", "标题 \"quoted\"", None, "high", "https://example.org/a?b=1&c=\u2028")
    base = Finding("R1", "名称", "topic", "severe", "罚则\n第二行", "wechat", None, "product:A", "line 3.name",
                   "message \\ with backslash and \x00 control", "fix \ud800 lone surrogate", (source,))
    return [
        base,
        Finding(*[getattr(base, f) for f in ("rule", "name", "topic", "tier", "penalty", "platform")], "A", "s", "p",
                "m", "f", (), file="a.jsonl", configurable_default=True, start=0, end=2, line=None, column=7,
                matched="最", term="最", family="absolute"),
        Finding("R2", "n", "t", "info", "p", "douyin", "B", "s", "p", "m", "f", (source, source), event="e1",
                deadline="2026-11-26T10:00:00+08:00", breached_at=None, actions=("pause", "警告")),
    ]


def test_finding_line_is_json_dumps_of_the_finding() -> None:
    report = check_files([EXAMPLES / "catalog.json", EXAMPLES / "merchant.yaml"], now=NOW)
    findings = [*report.findings, *_odd_findings()]
    assert any(f.family is not None for f in findings) and any(f.file is not None for f in findings)
    for finding in findings:
        assert finding_line(finding) == _plain_line(finding)
        json.loads(finding_line(finding))  # and it is one JSON object


def test_finding_line_encodes_a_rule_tier_and_platform_once(monkeypatch: pytest.MonkeyPatch) -> None:
    finding = _odd_findings()[0]
    finding_line(finding)
    monkeypatch.setattr(guard.report.json, "_value", _refuse_the_head(guard.report.json._value, finding))
    assert finding_line(finding) == _plain_line(finding)


def _refuse_the_head(encode: Any, finding: Finding) -> Any:
    def value(item: Any) -> str:
        if item in (finding.rule, finding.name, finding.topic):
            raise AssertionError(f"{item!r} encoded again")
        return str(encode(item))

    return value


def test_json_lines_share_one_decoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "A", "price": 1.25}\n\ufeff{"id": "B"}\n{broken\n', encoding="utf-8")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("json.loads builds a decoder per line")

    expected = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(keepends=True), start=1):
        try:
            expected.append(json.loads(line, parse_float=Decimal))
        except json.JSONDecodeError as exc:
            expected.append(f"line {number}: {exc.msg}")
    monkeypatch.setattr(guard.io.readers.json, "loads", refuse)
    got = [item.data if hasattr(item, "data") else f"{item.location}: {item.message.split(': ', 1)[1]}"
           for item in read_jsonl(path)]
    assert got == expected
    assert got[0] == {"id": "A", "price": Decimal("1.25")}
    assert "Unexpected UTF-8 BOM" in got[1]


def _slow_yuan(value: Any) -> Any:
    """yuan_to_fen without its fast path for plain strings: the same string with a space around it."""
    return yuan_to_fen(f" {value} ")


@pytest.mark.parametrize("value", ["599.00", "0", "1", "0.5", "12.3", "１２.５", "999999999999", "1000000000000",
                                   "10000000.01", "00.10", "1.234", "", "1e3", "٣"])
def test_a_plain_yuan_string_converts_as_any_other_spelling(value: str) -> None:
    try:
        expected: Any = _slow_yuan(value)
    except ValueError as exc:
        expected = str(exc).replace(repr(f" {value} "), repr(value))
    try:
        got: Any = yuan_to_fen(value)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_penalty_is_made_once_per_rule_tier_and_platform(lang: str) -> None:
    from guard.facts import Subject
    from guard.findings import FindingBuilder
    from guard.rules.loader import FROM_TERM, default_rules

    ruleset = default_rules()
    rule = next(r for r in ruleset.rules if r.tier == FROM_TERM and r.spec.tier_basis == "default")
    builder = FindingBuilder(ruleset, lang)
    made = {}
    for platform in ("wechat", "douyin"):
        for tier in ("severe", "minor", "severe", "info"):
            facts = {"term_tier": tier, "term": "最", "matched": "最"}
            subject = Subject("text_hit", "product:A/name", "A", platform, "line 1.name", facts)
            penalty = builder.build(rule, subject).penalty
            plain = getattr(ruleset.penalties[tier][platform], lang)
            assert plain in penalty
            assert (penalty == plain) == (tier == "info")  # a default tier says it is inferred, except for advice
            made.setdefault((tier, platform), penalty)
            assert made[(tier, platform)] == penalty
    assert all(made[("severe", p)] != made[("minor", p)] for p in ("wechat", "douyin"))


def test_a_merchants_facts_are_kept_by_identity_never_hashed_and_bounded() -> None:
    import guard.facts
    from guard.facts import merchant_facts, product_facts
    from guard.model import Merchant, Product

    product = Product.model_validate({"id": "A", "category": "apparel", "name": "围巾", "price": "1.00"})
    own = Merchant(id="a", mode="self_operated", enterprise_verified=True, mini_program_categories=("apparel",))
    other = Merchant(id="b", mode="service_provider", authorized_categories=("food",))

    class Unhashed(Exception):
        pass

    def refuse(self: Any) -> int:
        raise Unhashed

    original = Merchant.__hash__
    Merchant.__hash__ = refuse  # type: ignore[method-assign]
    try:  # a model's hash reads every field: it is never taken
        first = product_facts(product, own, NOW.date(), NOW)
        assert guard.facts._FACTS_OF[id(own)] == (own, merchant_facts(own))
        assert product_facts(product, own, NOW.date(), NOW) == first
        second = product_facts(product, other, NOW.date(), NOW)
    finally:
        Merchant.__hash__ = original  # type: ignore[method-assign]
    assert second["merchant_mode"] == "service_provider" and first["merchant_mode"] == "self_operated"
    assert second == {**first, **merchant_facts(other), "category_in_mini_program": False, "category_authorized": False}
    assert guard.facts._FACTS_OF[id(other)][0] is other
    many = [Merchant(id=f"m{n}", mode="self_operated", mini_program_categories=("apparel",)) for n in range(600)]
    for merchant in many:  # a server meets ever new merchants: what is kept stays bounded
        product_facts(product, merchant, NOW.date(), NOW)
    assert len(guard.facts._FACTS_OF) <= guard.facts._FACTS_MAX


def test_a_template_without_placeholders_is_rendered_once() -> None:
    from guard.findings import Template

    fixed = Template("下架后重新提交 {{审核}}")
    assert fixed._constant == "下架后重新提交 {审核}" == fixed.render({"审核": "ignored"})
    filled = Template("{price:yuan} 元，{count} 件，{missing}")
    assert filled._constant is None
    assert filled.render({"price": 12345, "count": 3}) == "123.45 元，3 件，?"
    assert filled.render({"price": "12.00", "count": None}) == "12.00 元，None 件，?"
