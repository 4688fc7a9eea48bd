from __future__ import annotations

import json
from pathlib import Path

import pytest

from guard.cli import main

GOOD = {"id": "P1", "category": "general", "name": "玻璃水杯", "price": "9.90", "detail_url": "pages/d?id=1",
        "cover_width": 300, "cover_height": 300, "audit_status": "approved",
        "qualifications": [{"type": "business_licence"}, {"type": "brand_authorization"}]}


MERCHANT = {"id": "M1", "mode": "self_operated", "enterprise_verified": True, "mini_program_categories": ["general"]}


def write(tmp_path: Path, *products: dict, name: str = "c.json", merchant: dict | None = MERCHANT) -> str:
    path = tmp_path / name
    document: dict = {"products": list(products)}
    if merchant is not None:
        document["merchant"] = merchant
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_a_catalog_without_a_merchant_says_permissions_were_not_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", write(tmp_path, GOOD, merchant=None), "--format", "jsonl", "--now", "2026-11-26T10:00:00"]) == 0
    assert [json.loads(line)["rule"] for line in capsys.readouterr().out.splitlines()] == ["PERM-007"]


def test_clean_catalog_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", write(tmp_path, GOOD), "--now", "2026-11-26T10:00:00"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "读取 2 条记录，检查 1 条，拒收 0 条；发现问题 0 个（无）" in err  # the merchant is a record


def test_findings_exit_one_and_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {**GOOD, "cover_width": 900})
    assert main(["check", path]) == 1
    assert "LIST-007" in capsys.readouterr().out
    assert main(["check", path, "--fail-on", "general"]) == 0
    assert main(["check", path, "--fail-on", "never"]) == 0
    assert main(["check", path, "--ignore", "LIST-007"]) == 0
    assert main(["check", path, "--ignore", "listing"]) == 0
    assert main(["check", path, "--select", "PERM,QUAL"]) == 0


def test_input_problem_exits_two_but_prints_other_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {**GOOD, "cover_width": 900}, {**GOOD, "id": "P2", "price": "1.001"})
    assert main(["check", path, "--format", "jsonl"]) == 2
    out, err = capsys.readouterr()
    assert [json.loads(line)["rule"] for line in out.splitlines()] == ["LIST-007"]
    assert "错误: " in err and "$.products[1]" in err and "金额最多两位小数" in err


def test_usage_and_file_errors_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert main(["check", str(tmp_path / "absent.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", write(tmp_path, GOOD), "--format", "xml"]) == 2


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "github"])
def test_every_format_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    path = write(tmp_path, {**GOOD, "description": "全网最好的杯子", "cover_width": 900})
    assert main(["check", path, "--format", fmt, "--lang", "en"]) == 1
    out = capsys.readouterr().out
    if fmt == "json":
        data = json.loads(out)
        assert sorted(f["rule"] for f in data["findings"]) == ["CONTENT-001", "LIST-007"]
        assert data["summary"]["checked"] == 1
    elif fmt == "sarif":
        data = json.loads(out)
        assert sorted(r["ruleId"] for r in data["runs"][0]["results"]) == ["CONTENT-001", "LIST-007"]
        regions = {r["ruleId"]: r["locations"][0]["physicalLocation"].get("region") for r in data["runs"][0]["results"]}
        text = Path(path).read_text(encoding="utf-8")
        hit = text.index("全网最好")  # the hit inside the description: a position in the file itself
        assert regions["CONTENT-001"] == {"startLine": 1, "startColumn": hit + 1, "endColumn": hit + 5}
        assert regions["LIST-007"] == {"startLine": 1, "startColumn": text.index('"cover_width": 900') + 16}
    elif fmt == "github":
        assert out.count("::error ") == 1 and out.count("::warning ") == 1
    else:
        assert "CONTENT-001" in out and "LIST-007" in out


def test_config_file_changes_a_threshold(tmp_path: Path) -> None:
    path = write(tmp_path, {**GOOD, "cover_width": 500})
    config = tmp_path / "guard.yaml"
    config.write_text("params:\n  LIST-007: {max_cover_px: 600}\n", encoding="utf-8")
    assert main(["check", path]) == 1
    assert main(["check", path, "--config", str(config)]) == 0


def test_engine_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from guard.engine import durable

    path = write(tmp_path, {**GOOD, "cover_width": 900})
    code = main(["check", path, "--engine", "durable"])
    if durable.available():
        assert code == 1 and "引擎 durable" in capsys.readouterr().err
    else:
        assert code == 2 and "cannot be loaded on Python" in capsys.readouterr().err


def test_rules_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--topic", "room"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["ROOM-001", "ROOM-002", "ROOM-003", "ROOM-004", "ROOM-005", "ROOM-006"]
    assert main(["rules", "show", "LIST-002"]) == 0
    assert "configurable default, not law" in capsys.readouterr().out
    assert main(["rules", "show", "NOPE-001"]) == 2
    assert main(["rules", "test"]) == 0
    assert capsys.readouterr().out.strip().endswith(" passed, 0 failed")


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, *[{**GOOD, "id": f"P{i}"} for i in range(50)])
    assert main(["check", path, "--progress"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "subject" in err and "读取 51 条记录，检查 50 条" in err


def test_rules_list_by_platform(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--platform", "taobao"]) == 0
    taobao = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert main(["rules", "list", "--platform", "wechat"]) == 0
    wechat = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert "LIST-015" in taobao and "LIST-015" not in wechat
    assert "LIST-001" in wechat and "LIST-001" not in taobao
    assert "CONTENT-001" in taobao & wechat


def test_rules_show_says_who_sets_the_tier(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "PROMO-003"]) == 0
    assert "tier: severe (a configurable default: neither the seed nor a source sets it)" in capsys.readouterr().out
    assert main(["rules", "show", "CONTENT-013"]) == 0
    assert "tier: minor (set by the seed's risk table)" in capsys.readouterr().out


def test_text_output_names_tiers_in_the_readers_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {**GOOD, "cover_width": 900})
    assert main(["check", path]) == 1
    assert "  [轻微] LIST-007 " in capsys.readouterr().out
    assert main(["check", path, "--lang", "en"]) == 1
    assert "  [minor] LIST-007 " in capsys.readouterr().out


def test_text_groups_findings_by_product_worst_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {**GOOD, "id": "A", "cover_width": 900},
                 {**GOOD, "id": "B", "description": "全网最好的杯子", "cover_width": 900})
    assert main(["check", path, "--now", "2026-11-26T10:00:00"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [line for line in lines if line.strip()]
    assert lines[0] == "商品 B（2 个问题：一般 1，轻微 1）"
    assert lines[1].startswith("  [一般] CONTENT-001 ") and "修改：" in lines[1]
    assert lines[2].startswith("  [轻微] LIST-007 ")
    assert lines[3] == "商品 A（1 个问题：轻微 1）"
    assert len(lines) == 5  # one line per finding; sources only with --verbose
    assert main(["check", path, "--now", "2026-11-26T10:00:00", "--verbose"]) == 1
    verbose = capsys.readouterr().out.splitlines()
    assert len(verbose) == 8 and "依据: " in verbose[2] and "c.json:$.products[1].description" in verbose[2]


def test_money_params_in_a_config_are_yuan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("params: {PROMO-004: {max_top_prize_yuan: 100}}\n", encoding="utf-8")
    lottery = {"id": "L1", "kind": "lottery", "products": ["P1"], "prize_name": "杯子", "prize_quantity": 1,
               "draw_at": "2026-12-01T10:00:00"}
    for prize, fired in (("100.01", True), ("100", False)):
        path = tmp_path / f"c{prize}.json"
        path.write_text(json.dumps({"merchant": MERCHANT, "products": [{**GOOD, "id": "P1"}],
                                    "promotions": [{**lottery, "top_prize": prize}]}, ensure_ascii=False), encoding="utf-8")
        main(["check", str(path), "--config", str(config), "--format", "jsonl", "--now", "2026-11-26T10:00:00"])
        rules = [json.loads(line)["rule"] for line in capsys.readouterr().out.splitlines()]
        assert ("PROMO-004" in rules) is fired
    config.write_text("params: {PROMO-004: {max_top_prize_yuan: 1.001}}\n", encoding="utf-8")
    assert main(["check", str(path), "--config", str(config)]) == 2
    assert "at most 2 decimal places" in capsys.readouterr().err


def test_findings_as_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    path = write(tmp_path, {**GOOD, "cover_width": 900}, {**GOOD, "id": "P2", "price": "abc"})
    assert main(["check", path, "--format", "xlsx"]) == 2
    assert "--output" in capsys.readouterr().err
    out = tmp_path / "findings.xlsx"
    assert main(["check", path, "--format", "xlsx", "--output", str(out), "--now", "2026-11-26T10:00:00"]) == 2
    workbook = load_workbook(out)
    findings, problems = workbook.worksheets
    rows = [[cell.value for cell in row] for row in findings.iter_rows()]
    assert rows[0][:3] == ["商品", "等级", "规则"] and rows[1][:3] == ["P1", "轻微", "LIST-007"]
    problem_rows = [[cell.value for cell in row] for row in problems.iter_rows()]
    assert problem_rows[1][2] == "$.price" and problem_rows[1][5] == "不是有效金额：'abc'"
    assert findings.auto_filter.ref and findings.freeze_panes == "A2"


def test_a_select_typo_is_an_error_not_an_empty_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD)
    assert main(["check", path, "--select", "QAUL"]) == 2
    assert "'QAUL' matches no rule" in capsys.readouterr().err
    assert main(["check", path, "--ignore", "LIST-999"]) == 2



def test_sarif_and_annotations_point_at_the_line_of_a_pretty_printed_catalog(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pretty.json"
    document = {"merchant": MERCHANT, "products": [GOOD, {**GOOD, "id": "P2", "description": "耐热玻璃，\\n全网最好的杯子"}]}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    [line_number] = [n for n, line in enumerate(lines, 1) if "全网最好" in line]
    column = lines[line_number - 1].index("全网最好") + 1
    assert main(["check", str(path), "--format", "sarif", "--now", "2026-11-26T10:00:00"]) == 1
    [result] = [r for r in json.loads(capsys.readouterr().out)["runs"][0]["results"] if r["ruleId"] == "CONTENT-001"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (line_number, column)
    assert main(["check", str(path), "--format", "github", "--now", "2026-11-26T10:00:00"]) == 1
    assert f"line={line_number},col={column}" in capsys.readouterr().out


def test_python_dash_m_guard_runs_the_command() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "guard", "lint", "--platform", "douyin", "--format", "jsonl", "-"],
                          input="这是全网最低价。\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["matched"] == "全网最低价"


def test_a_hanging_test_fails_after_the_configured_timeout(request: pytest.FixtureRequest) -> None:
    """pytest-timeout is installed and [tool.pytest] sets a limit, so a hang fails one test, not the run."""
    assert request.config.pluginmanager.hasplugin("timeout")
    assert 0 < float(request.config.getini("timeout")) <= 600
