"""The native and durable engines give identical findings; the durable wrapper's hazards are closed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard.engine import durable, make_engine
from guard.engine.base import Engine
from guard.errors import EngineError
from guard.facts import schemas
from guard.rules.ir import All, Any_, Cmp, Condition
from guard.rules.loader import RuleSet, load_rules

pytestmark = pytest.mark.skipif(not durable.available(), reason="durable_rules is not available here")

RULES = load_rules()
KINDS = sorted({r.applies_to for r in RULES.rules})


def _literals(condition: Condition, into: dict[str, set[Any]]) -> None:
    if isinstance(condition, (All, Any_)):
        for item in condition.items:
            _literals(item, into)
        return
    assert isinstance(condition, Cmp)
    values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    for value in values:
        if value is not None:
            into.setdefault(condition.field, set()).add(value)


def _fact_strategy(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    literals: dict[str, set[Any]] = {}
    for rule in RULES.rules:
        if rule.applies_to == kind:
            for condition in rule.conditions.values():
                _literals(condition, literals)
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, spec in schemas()[kind].items():
        if spec.display_only:
            continue
        seen = literals.get(name, set())
        if spec.type is bool:
            optional[name] = st.booleans()
        elif spec.type is int:
            edges = sorted({v + d for v in seen for d in (-1, 0, 1)} | {0, 1, -1})
            optional[name] = st.one_of(st.sampled_from(edges), st.integers(-(10**12), 10**12))
        else:
            choices = sorted(seen) or ["x"]
            optional[name] = st.one_of(st.sampled_from(choices), st.text("ab中文\"'\\{}$ .", max_size=6))
    return st.fixed_dictionaries({}, optional=optional)


FACTS = st.sampled_from(KINDS).flatmap(lambda k: st.tuples(st.just(k), _fact_strategy(k)))


@pytest.fixture(scope="module")
def both(ruleset: RuleSet) -> tuple[Engine, Engine]:
    return make_engine(ruleset, "native"), make_engine(ruleset, "durable")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=FACTS, platform=st.sampled_from(["wechat", "douyin", "taobao"]))
def test_engines_fire_the_same_rules(both: tuple[Engine, Engine], case: tuple[str, dict[str, Any]], platform: str) -> None:
    kind, facts = case
    native, durable_engine = both
    expected = [r.id for r in native.fired(kind, platform, facts)]
    assert [r.id for r in durable_engine.fired(kind, platform, facts)] == expected


def test_every_compiled_rule_has_the_positive_discriminator(ruleset: RuleSet) -> None:
    for platform in ("wechat", "douyin", "taobao"):
        for name, rule in durable.compile_ruleset(ruleset, platform).items():
            expression = rule["all"][0]["m"]
            first = expression["$and"][0] if "$and" in expression else expression
            assert set(first) == {durable.KIND_KEY}, name


def test_same_fact_twice_and_no_match_return_cleanly(both: tuple[Engine, Engine]) -> None:
    _, durable_engine = both
    facts = {"phase": "live", "quick_bar_sku_count": 21}
    first = [r.id for r in durable_engine.fired("room", "wechat", facts)]
    second = [r.id for r in durable_engine.fired("room", "wechat", facts)]
    assert first == second == ["RET-001", "ROOM-002"]
    assert [r.id for r in durable_engine.fired("room", "wechat", {"phase": "pre", "sales_record_retention_days": 2000})] == []


def test_missing_referenced_field_does_not_fire(both: tuple[Engine, Engine]) -> None:
    for engine in both:
        fired = [r.id for r in engine.fired("promotion", "wechat", {"reference_price_fen": 99900})]
        assert "PRICE-001" not in fired
        assert "PRICE-003" in fired


def test_exists_only_rule_does_not_hang(tmp_path: Path) -> None:
    """A rule made only of missing/exists must not loop on the engine's own state message."""
    rules = tmp_path / "rules"
    (rules / "room").mkdir(parents=True)
    source = Path(load_rules().by_id["RET-001"].file).parents[1]
    for name in ("sources.yaml", "penalties.yaml"):
        (rules / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    (rules / "room" / "only_missing.yaml").write_text(
        "id: ROOM-900\nname: only-missing\ntopic: room\ntier: info\napplies_to: room\n"
        "when: {field: sales_record_retention_days, op: missing}\n"
        "message: {zh: 缺少, en: missing}\nfix: {zh: 补充, en: add}\n"
        "cite: [{source: seed-live-listing, confidence: M}]\n"
        "tests:\n  - {name: given, facts: {sales_record_retention_days: 3}, expect: pass}\n"
        "  - {name: absent, facts: {}, expect: fail}\n",
        encoding="utf-8",
    )
    script = (
        "from guard.rules.loader import load_rules\nfrom guard.engine import make_engine\n"
        f"rs = load_rules({str(rules)!r})\ne = make_engine(rs, 'durable')\n"
        "print([r.id for r in e.fired('room', 'wechat', {})], [r.id for r in e.fired('room', 'wechat', {'sales_record_retention_days': 1})])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ROOM-900'] []"


def test_action_failure_raises_instead_of_returning_empty(ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(ruleset, "durable")

    def broken(rule_name: str) -> None:
        raise RuntimeError("collector failed")

    monkeypatch.setattr(engine, "_record", broken)
    with pytest.raises(EngineError, match="collector failed"):
        engine.fired("room", "wechat", {"phase": "live", "quick_bar_sku_count": 30})
    monkeypatch.undo()
    with pytest.raises(EngineError, match="unusable"):
        engine.fired("room", "wechat", {"phase": "live", "quick_bar_sku_count": 30})


def test_lost_evaluation_raises(ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the engine ran no action for a fact (a locked sid does this), the result is an error, not []."""
    engine = make_engine(ruleset, "durable")
    monkeypatch.setattr(engine, "_record", lambda rule_name: None)
    with pytest.raises(EngineError, match="lost an evaluation"):
        engine.fired("room", "wechat", {"phase": "pre", "sales_record_retention_days": 5000})


def test_floats_never_reach_the_durable_engine(ruleset: RuleSet) -> None:
    engine = make_engine(ruleset, "durable")
    with pytest.raises(EngineError, match="only int, str and bool"):
        engine.fired("room", "wechat", {"quick_bar_sku_count": 1e-05})


def test_library_code_avoids_the_engine_hazards() -> None:
    source = (Path(durable.__file__)).read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("#", "-", "*")))
    code = re.sub(r'""".*?"""', "", code, flags=re.S)
    for forbidden in ("delete_state", "get_host", "durable.lang", "post_batch", "assert_facts"):
        assert forbidden not in code, forbidden


def test_compiled_json_has_only_known_operators(ruleset: RuleSet) -> None:
    text = json.dumps(durable.compile_ruleset(ruleset, "wechat"))
    operators = set(re.findall(r'"(\$[a-z]+)"', text))
    assert operators <= {"$and", "$or", "$ex", "$nex", "$neq", "$gt", "$gte", "$lt", "$lte", "$m"}


# Random conditions over every operator, not only the bundled rules' (which barely use in, not_in,
# exists and ne): a fixed set of generated rules on the room schema, checked on random facts.
_INT_VALUES = (-1, 0, 1, 5, 100)
_STR_VALUES = ("a", "b", "中")


def _random_condition(rng: Any, fields: dict[str, type], depth: int = 0) -> Condition:
    if depth < 2 and rng.random() < 0.35:
        items = tuple(_random_condition(rng, fields, depth + 1) for _ in range(rng.randint(1, 3)))
        return All(items) if rng.random() < 0.5 else Any_(items)
    name = rng.choice(sorted(fields))
    kind = fields[name]
    ops = {int: OPERATORS_INT, str: OPERATORS_STR, bool: OPERATORS_BOOL}[kind]
    op = rng.choice(ops)
    if op in ("exists", "missing"):
        return Cmp(name, op)
    pool = {int: _INT_VALUES, str: _STR_VALUES, bool: (True, False)}[kind]
    if op in ("in", "not_in"):
        return Cmp(name, op, tuple(rng.sample(pool, rng.randint(1, len(pool)))))
    same_type = [f for f, t in fields.items() if t is kind and f != name]
    if same_type and rng.random() < 0.2:
        return Cmp(name, op, None, rng.choice(same_type))
    return Cmp(name, op, rng.choice(pool))


OPERATORS_INT = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists", "missing")
OPERATORS_STR = ("eq", "ne", "in", "not_in", "exists", "missing")
OPERATORS_BOOL = ("eq", "ne", "exists", "missing")
_KIND = "room_product"
_FIELDS = {"room_price_fen": int, "library_price_fen": int, "phase": str, "platform": str, "on_sale": bool,
           "expired": bool}


def _random_ruleset() -> RuleSet:
    import dataclasses
    import random

    schema = schemas()[_KIND]
    fields = {name: kind for name, kind in _FIELDS.items() if name in schema and schema[name].type is kind}
    assert len(fields) == len(_FIELDS), sorted(schema)
    rng = random.Random(20261202)
    base = next(rule for rule in RULES.rules if rule.applies_to == _KIND)
    rules = []
    for index in range(120):
        condition = _random_condition(rng, fields)
        rules.append(dataclasses.replace(base, id=f"RND-{index:03d}", conditions={p: condition for p in base.conditions}))
    return RuleSet(rules, RULES.sources, RULES.penalties, RULES.tier_rank, "random")


def _used_operators(condition: Condition, into: set[str]) -> set[str]:
    if isinstance(condition, Cmp):
        into.add(condition.op + (":ref" if condition.ref else ""))
    else:
        for item in condition.items:
            _used_operators(item, into)
    return into


RANDOM = _random_ruleset() if durable.available() else None
_ROOM_FACTS = st.fixed_dictionaries({}, optional={
    "room_price_fen": st.sampled_from((-2, -1, 0, 1, 2, 5, 6, 99, 100, 101)),
    "library_price_fen": st.sampled_from((-1, 0, 1, 5, 100)),
    "phase": st.sampled_from(("a", "b", "中", "live", "")),
    "platform": st.sampled_from(("a", "b", "中", "x")),
    "on_sale": st.booleans(),
    "expired": st.booleans(),
})


def test_random_rules_use_every_operator() -> None:
    assert RANDOM is not None
    used: set[str] = set()
    for rule in RANDOM.rules:
        _used_operators(rule.conditions["wechat"], used)
    assert set(OPERATORS_INT) <= used
    assert {op for op in used if op.endswith(":ref")}


@pytest.fixture(scope="module")
def random_engines() -> tuple[Engine, Engine]:
    assert RANDOM is not None
    return make_engine(RANDOM, "native"), make_engine(RANDOM, "durable")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=_ROOM_FACTS)
def test_engines_agree_on_random_conditions(random_engines: tuple[Engine, Engine], facts: dict[str, Any]) -> None:
    native, durable_engine = random_engines
    expected = [r.id for r in native.fired(_KIND, "wechat", facts)]
    assert [r.id for r in durable_engine.fired(_KIND, "wechat", facts)] == expected
