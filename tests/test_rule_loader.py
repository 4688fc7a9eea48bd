"""Rule files are validated at load: every mistake is an error naming the file and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guard.data import data_dir
from guard.errors import ConfigError, RuleFileError
from guard.rules.ir import All, Cmp
from guard.rules.loader import load_rules

GOOD = {
    "id": "ROOM-901",
    "name": "test-rule",
    "topic": "room",
    "tier": "minor",
    "applies_to": "room",
    "when": {"field": "quick_bar_sku_count", "op": "gt", "value": {"param": "cap"}},
    "params": {"cap": 5},
    "message": {"zh": "快捷栏 {quick_bar_sku_count} 个，上限 {cap}", "en": "{quick_bar_sku_count} over {cap}"},
    "fix": {"zh": "减少", "en": "fewer"},
    "cite": [{"source": "seed-live-listing", "confidence": "M"}],
    "tests": [
        {"name": "ok", "facts": {"quick_bar_sku_count": 5}, "expect": "pass"},
        {"name": "bad", "facts": {"quick_bar_sku_count": 6}, "expect": "fail"},
    ],
}


def write_rules(tmp_path: Path, *rules: dict, folder: str = "room") -> Path:
    root = tmp_path / "rules"
    (root / folder).mkdir(parents=True)
    for name in ("sources.yaml", "penalties.yaml"):
        (root / name).write_text((data_dir("rules") / name).read_text(encoding="utf-8"), encoding="utf-8")
    (root / folder / "r.yaml").write_text(yaml.safe_dump_all(rules, allow_unicode=True), encoding="utf-8")
    return root


def broken(**changes: object) -> dict:
    rule = {**GOOD, **changes}
    return {k: v for k, v in rule.items() if v is not None}


def test_good_rule_loads_and_compiles(tmp_path: Path) -> None:
    rules = load_rules(write_rules(tmp_path, GOOD))
    assert rules.by_id["ROOM-901"].conditions["wechat"] == Cmp("quick_bar_sku_count", "gt", 5)


def test_all_compiles_to_ir(tmp_path: Path) -> None:
    rule = broken(when={"all": [{"field": "phase", "op": "eq", "value": "live"},
                                {"field": "quick_bar_sku_count", "op": "gte", "value": 3}]})
    condition = load_rules(write_rules(tmp_path, rule)).by_id["ROOM-901"].conditions["douyin"]
    assert condition == All((Cmp("phase", "eq", "live"), Cmp("quick_bar_sku_count", "gte", 3)))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"when": {"field": "no_such_fact", "op": "eq", "value": 1}}, "unknown fact field 'no_such_fact'"),
        ({"when": {"field": "quick_bar_sku_count", "op": "like", "value": 1}}, "unknown operator 'like'"),
        ({"when": {"field": "quick_bar_sku_count", "op": "gt", "value": "20"}}, "does not fit a int field"),
        ({"when": {"field": "quick_bar_sku_count", "op": "gt", "value": True}}, "does not fit a int field"),
        ({"when": {"field": "phase", "op": "gt", "value": "live"}}, "needs a numeric field"),
        ({"when": {"field": "quick_bar_sku_count", "op": "gt", "value": {"param": "nope"}}}, "unknown param 'nope'"),
        ({"when": {"field": "id", "op": "eq", "value": "R1"}}, "display-only field"),
        ({"when": {"field": "phase", "op": "in", "value": []}}, "needs a non-empty list"),
        ({"when": {"field": "phase", "op": "exists", "value": 1}}, "takes no value"),
        ({"when": {"all": []}}, "expected a non-empty list"),
        ({"when": {"field": "phase", "op": "eq", "value": "live", "extra": 1}}, "a condition is"),
        ({"when": {"field": "phase", "op": "eq", "value": {"field": "quick_bar_sku_count"}}}, "different types"),
        ({"cite": [{"source": "no-such-source", "confidence": "H"}]}, "unknown source 'no-such-source'"),
        ({"cite": [{"source": "L-AD", "confidence": "X"}]}, "cite.0.confidence"),
        ({"message": {"zh": "{typo}", "en": "x"}}, "placeholder {typo}"),
        ({"message": {"zh": "{cap:money}", "en": "x"}}, "format must be one of"),
        ({"tests": [{"name": "a", "facts": {}, "expect": "pass"}, {"name": "b", "facts": {}, "expect": "pass"}]},
         "one test that passes and one that fails"),
        ({"tests": [{"name": "a", "facts": {"nope": 1}, "expect": "pass"}, {"name": "b", "facts": {}, "expect": "fail"}]},
         "unknown fact field 'nope'"),
        ({"tests": [{"name": "a", "facts": {"quick_bar_sku_count": "1"}, "expect": "pass"},
                    {"name": "b", "facts": {}, "expect": "fail"}]}, "is not a int"),
        ({"tier": "fatal"}, "tier"),
        ({"severity": "high"}, "Extra inputs are not permitted"),
        ({"id": "room-1"}, "id"),
        ({"platform_params": {"douyin": {"other": 1}}}, "overrides no param"),
        ({"applies_to": "text_hit", "field": "name"}, "text_hit subjects have none"),
        ({"field": "Cover-Width"}, "field"),
    ],
)
def test_invalid_rule_is_an_error_naming_file_and_rule(tmp_path: Path, changes: dict, expected: str) -> None:
    with pytest.raises(RuleFileError) as info:
        load_rules(write_rules(tmp_path, broken(**changes)))
    assert expected in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_duplicate_rule_id_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="duplicate rule id"):
        load_rules(write_rules(tmp_path, GOOD, GOOD))


def test_topic_must_match_folder(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="does not match folder listing"):
        load_rules(write_rules(tmp_path, GOOD, folder="listing"))


def test_malformed_yaml_names_the_file(tmp_path: Path) -> None:
    root = write_rules(tmp_path, GOOD)
    (root / "room" / "r.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"r\.yaml: cannot read"):
        load_rules(root)


def test_platform_params_and_config_override(tmp_path: Path) -> None:
    root = write_rules(tmp_path, broken(platform_params={"douyin": {"cap": 9}}))
    rules = load_rules(root, config={"params": {"ROOM-901": {"cap": 7}}, "tiers": {"ROOM-901": "severe"}})
    rule = rules.by_id["ROOM-901"]
    assert rule.conditions["wechat"] == Cmp("quick_bar_sku_count", "gt", 7)
    assert rule.conditions["douyin"] == Cmp("quick_bar_sku_count", "gt", 7)
    assert rule.tier == "severe"
    assert load_rules(root).by_id["ROOM-901"].conditions["douyin"] == Cmp("quick_bar_sku_count", "gt", 9)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"params": {"ROOM-901": {"nope": 1}}}, "has no param 'nope'"),
        ({"params": {"ROOM-999": {"cap": 1}}}, "unknown rule ROOM-999"),
    ],
)
def test_bad_config_is_an_error(tmp_path: Path, config: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_rules(write_rules(tmp_path, GOOD), config=config)


def test_config_param_must_keep_its_type(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="must stay a int"):
        load_rules(write_rules(tmp_path, GOOD), config={"params": {"ROOM-901": {"cap": "5"}}})


def test_config_file_with_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("thresholds: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="thresholds: unknown key"):
        load_rules(config=path)


def test_bundled_rules_cover_every_topic_of_the_issue(ruleset) -> None:
    topics = {r.topic for r in ruleset.rules}
    assert {"permission", "qualification", "listing", "room", "promotion", "pricing", "content",
            "inventory", "retention"} <= topics


@pytest.mark.parametrize(("text", "message"), [
    ("ignore: PRICE-002\n", "ignore: a list of rule ids"),
    ("ignore: [[a]]\n", "ignore: a list of rule ids"),
    ("select: [NOPE]\n", "'NOPE' matches no rule"),
    ("select: [QAUL]\n", "'QAUL' matches no rule"),
    ("params: {ROOM-002: {max_quick_bar_skus: -1}}\n", "params.ROOM-002.max_quick_bar_skus: may not be negative"),
    ("params: {ROOM-002: {max_quick_bar: 25}}\n", "has no param 'max_quick_bar'"),
    ("platform_params: {kuaishou: {LIST-007: {max_cover_px: 600}}}\n", "platform_params.kuaishou: unknown platform"),
    ("platform_params: {douyin: {NOPE-001: {x: 1}}}\n", "unknown rule NOPE-001"),
    ("tiers: {INV-001: fatal}\n", "tiers.INV-001: 'fatal' is not one of"),
])
def test_config_mistakes_are_errors_naming_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_rules(config=path)


def test_platform_params_override_one_platform_only(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("platform_params: {douyin: {INV-001: {min_stock_to_peak_bp: 20000}}}\n", encoding="utf-8")
    rules = load_rules(config=path)
    assert rules.by_id["INV-001"].params["douyin"]["min_stock_to_peak_bp"] == 20000
    assert rules.by_id["INV-001"].params["wechat"]["min_stock_to_peak_bp"] == 30000
    path.write_text("platform_params: {douyin: {ROOM-002: {max_quick_bar_skus: 30}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the rule does not run on douyin"):
        load_rules(config=path)


def test_a_yaml_alias_bomb_in_a_config_is_refused_at_once(tmp_path: Path) -> None:
    levels = ["params:", "  ROOM-002:", "    a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"    a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML aliases; refused"):
        load_rules(config=path)
