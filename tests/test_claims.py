"""What the host says against what the shop sells: numbers, claims, binding and the SCRIPT rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard.claims.extract import extract
from guard.claims.numbers import chinese_int, parse_amount, parse_count, parse_discount
from guard.engine.base import Engine
from guard.io.catalog import Catalog, load_catalog
from guard.lint import Linter
from guard.model import CHINA_TZ
from guard.rules.loader import RuleSet

FIXTURES = Path(__file__).parent / "fixtures" / "claims"
NOW = datetime(2026, 11, 26, 20, 0, tzinfo=CHINA_TZ)


@dataclass(frozen=True)
class Case:
    line: int
    kind: str
    rules: tuple[str, ...]
    context: dict[str, str]
    text: str


def _cases() -> list[Case]:
    cases, pending = [], None
    for number, line in enumerate((FIXTURES / "script.txt").read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(("# ruleid:", "# ok:")):
            kind, _, rest = line[2:].partition(":")
            words = rest.split()
            pending = (kind, tuple(words[0].split(",")), dict(w.split("=", 1) for w in words[1:]))
        elif line.startswith("#") or not line.strip():
            continue
        elif pending is not None:
            cases.append(Case(number, pending[0], pending[1], pending[2], line))
            pending = None
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    loaded = load_catalog([FIXTURES / "catalog.json"])
    assert loaded.problems == []
    return loaded


def test_the_fixtures_cover_every_script_rule(ruleset: RuleSet) -> None:
    script_rules = {r.id for r in ruleset.rules if r.topic == "script"}
    assert script_rules == {rule for c in CASES if c.kind == "ruleid" for rule in c.rules}
    assert script_rules <= {rule for c in CASES if c.kind == "ok" for rule in c.rules} | {"SCRIPT-009"}


@pytest.mark.parametrize("case", CASES, ids=[f"line{c.line}" for c in CASES])
def test_fixture(case: Case, catalog: Catalog, ruleset: RuleSet, engine: Engine) -> None:
    linter = Linter(rules=ruleset, engine=engine, catalog=catalog, now=NOW)  # a fresh binding per case
    findings = linter.text(case.text, file="script.txt").findings
    for finding in findings:
        assert case.text[finding.start:finding.end] == finding.matched
    fired = {f.rule: f for f in findings if f.rule.startswith("SCRIPT-")}
    if case.kind == "ok":
        assert list(extract(case.text)), f"{case.text!r} holds no claim: the case cannot fail"
        assert not set(case.rules) & set(fired), [(f.rule, f.message) for f in fired.values()]
        return
    for rule in case.rules:
        assert rule in fired, f"{case.text!r}: {[(f.rule, f.message) for f in findings]}"
        assert fired[rule].matched == case.context["span"]
        assert (fired[rule].tier == "info") == (case.context.get("expect") == "info")


def test_a_finding_names_both_sides(catalog: Catalog) -> None:
    [finding] = [f for f in Linter(catalog=catalog, now=NOW).text("【P1】到手价99").findings if f.rule == "SCRIPT-001"]
    assert "到手价99" in finding.message and "P1" in finding.message and "129.00" in finding.message
    assert (finding.product, finding.line, finding.column) == ("P1", 1, 5)


def test_a_marker_binds_the_lines_that_follow_until_the_next_marker(catalog: Catalog) -> None:
    script = "【P1】家人们看这款\n到手价99\n【P2】这个杯子\n到手价99\n"
    by_rule = {(f.rule, f.line) for f in Linter(catalog=catalog, now=NOW).text(script).findings}
    assert ("SCRIPT-001", 2) in by_rule  # P1 is charged 129
    assert ("SCRIPT-002", 4) in by_rule  # P2 is charged 49


def test_caption_lines_carry_the_binding_in_follow_mode(catalog: Catalog) -> None:
    linter = Linter(catalog=catalog, now=NOW)
    assert linter.line("【P1】", 1) == []
    assert [f.rule for f in linter.line("到手价99", 2) if f.rule.startswith("SCRIPT")] == ["SCRIPT-001"]


def test_without_a_catalog_nothing_is_cross_checked() -> None:
    assert [f for f in Linter().text("【P1】到手价99").findings if f.rule.startswith("SCRIPT")] == []


def test_the_time_given_decides(catalog: Catalog) -> None:
    """P3's 79 runs 19:00–23:59; before it starts the price is 99."""
    before = Linter(catalog=catalog, now=datetime(2026, 11, 26, 18, 0, tzinfo=CHINA_TZ)).text("【P3】到手价79").findings
    during = Linter(catalog=catalog, now=NOW).text("【P3】到手价79").findings
    assert "SCRIPT-001" in {f.rule for f in before} and "SCRIPT-001" not in {f.rule for f in during}


@pytest.mark.parametrize(("text", "fen"), [
    ("99", 9900), ("九十九", 9900), ("9块9", 990), ("九块九", 990), ("¥59.9", 5990), ("59.9元", 5990), ("1.2万", 1200000),
    ("一千二", 120000), ("两百", 20000), ("一百二", 12000), ("一百零二", 10200), ("三万五", 3500000), ("99块钱", 9900),
    ("十五", 1500), ("二十", 2000), ("九九", 9900), ("一点五", 150), ("abc", None), ("十百", None), ("1.234", None),
])
def test_parse_amount(text: str, fen: int | None) -> None:
    assert parse_amount(text) == fen


@pytest.mark.parametrize(("text", "share"), [("五", 5000), ("3.9", 3900), ("八五", 8500), ("九", 9000), ("10", None), ("零", None)])
def test_parse_discount(text: str, share: int | None) -> None:
    assert parse_discount(text) == share


def _chinese(n: int) -> str:
    """An independent writer of Chinese numerals (below 10⁸), in the full form: 一千零二十, 十五, 三万零五."""
    digits = "零一二三四五六七八九"
    if n == 0:
        return "零"

    def below_10000(m: int, leading: bool) -> str:
        out, zero = "", False
        for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = m // unit % 10
            if d == 0:
                zero = bool(out)
                continue
            if zero or (not out and not leading and unit < 1000):
                out += "零" if out or not leading else ""
            zero = False
            out += ("" if (d == 1 and unit == 10 and not out and leading) else digits[d]) + name
        return out

    high, low = divmod(n, 10000)
    if not high:
        return below_10000(low, True)
    text = below_10000(high, True) + "万"
    if low:
        text += ("零" if low < 1000 else "") + below_10000(low, False)
    return text


@given(st.integers(min_value=1, max_value=99_999_999))
def test_any_chinese_numeral_parses_back(n: int) -> None:
    assert chinese_int(_chinese(n)) == n


@given(st.integers(min_value=1, max_value=999_999), st.integers(min_value=0, max_value=99))
def test_any_amount_in_any_supported_form_parses_back(yuan: int, fen: int) -> None:
    value = yuan * 100 + fen
    assert parse_amount(f"{yuan}.{fen:02d}") == value
    assert parse_amount(f"¥{yuan}.{fen:02d}") == value
    assert parse_amount(f"{yuan}.{fen:02d}元") == value
    if fen % 10 == 0:
        assert parse_amount(f"{yuan}块{fen // 10}" if fen else f"{yuan}块") == value
        assert parse_amount(f"{_chinese(yuan)}块{'零一二三四五六七八九'[fen // 10]}" if fen else f"{_chinese(yuan)}块") == value
    if fen == 0:
        assert parse_amount(_chinese(yuan)) == value


@given(st.integers(min_value=1, max_value=99_999))
def test_any_count_parses_back(n: int) -> None:
    assert parse_count(str(n)) == n
    assert parse_count(_chinese(n)) == n


@given(st.sampled_from(["P1", "P2", "P3", "P4"]), st.sampled_from(["到手价", "只要", "今天只要", "直播间价"]),
       st.sampled_from(["arabic", "yuan", "chinese"]))
def test_a_script_consistent_with_the_catalog_raises_no_consistency_finding(pid: str, trigger: str, form: str) -> None:
    catalog = load_catalog([FIXTURES / "catalog.json"])
    linter = Linter(catalog=catalog, now=NOW)
    offer = linter.script.offers[pid]  # type: ignore[union-attr]
    yuan, fen = divmod(offer.charged_fen, 100)
    said = {"arabic": f"{yuan}.{fen:02d}", "yuan": f"{yuan}.{fen:02d}元", "chinese": _chinese(yuan) if not fen else f"{yuan}.{fen:02d}"}[form]
    supported = [v for v in (offer.reference_fen, offer.ceiling_fen) if v is not None]  # a 原价 the facts support
    reference = min(supported) if supported else None
    lines = [f"【{pid}】{trigger}{said}", f"只剩{offer.product.stock}件" if offer.product.stock else "",
             f"原价{reference // 100}" if reference and reference % 100 == 0 else ""]
    findings = linter.text("\n".join(line for line in lines if line)).findings
    assert [f.rule for f in findings if f.rule.startswith("SCRIPT") and f.tier != "info"] == []


def test_the_command_checks_a_script_against_a_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from guard.cli import main

    script = tmp_path / "script.txt"
    script.write_text("【P1】到手价99\n【P1】到手价129\n", encoding="utf-8")
    args = ["lint", str(script), "--catalog", str(FIXTURES / "catalog.json"), "--now", "2026-11-26T20:00:00+08:00"]
    assert main([*args, "--format", "jsonl"]) == 1
    out = capsys.readouterr().out
    assert '"rule": "SCRIPT-001"' in out and out.count("SCRIPT-00") == 1
    assert main(["lint", str(script), "--now", "2026-11-26T20:00:00+08:00"]) == 2  # --now needs --catalog
    assert main([*args[:-1], "tomorrow"]) == 2
    assert "not an ISO time" in capsys.readouterr().err


def test_an_event_line_switches_the_product_in_a_caption_stream(catalog: Catalog) -> None:
    linter = Linter(catalog=catalog, now=NOW)
    linter.line('{"product": "P2", "at": "2026-11-26T20:00:00+08:00"}', 1)
    assert [f.rule for f in linter.line("到手价99", 2) if f.rule.startswith("SCRIPT")] == ["SCRIPT-002"]  # P2: 49
    linter.line('{"product": "P404"}', 3)
    assert [f.rule for f in linter.line("到手价99", 4) if f.rule.startswith("SCRIPT")] == ["SCRIPT-009"]


@pytest.mark.parametrize("text", ["只要3天就能到货", "只需两步就能搞定", "只要一百二十天", "只要10分钟", "这款抽纸很软",
                                  "抽屉里还有一件", "今天只要坚持用"])
def test_ordinary_speech_with_a_trigger_word_holds_no_claim(text: str) -> None:
    """只要/只需 before a count of days or steps, and 抽 in 抽纸 or 抽屉, are not prices or lotteries."""
    assert list(extract(text)) == []
