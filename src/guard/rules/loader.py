"""Load rule files, check them against the schema and the fact schemas, compile them to IR.

A rule file holds one rule, or several as a multi-document YAML stream. Nothing in a rule
file is executed: conditions are data, compiled to the IR in ``guard.rules.ir``.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guard.data import data_dir, load_user_yaml, load_yaml, load_yaml_all
from guard.errors import ConfigError, RuleFileError
from guard.facts import FactSpec, schemas
from guard.model import yuan_to_fen
from guard.rules.ir import OPERATORS, ORDERING, All, Any_, Cmp, Condition
from guard.rules.schema import PLATFORMS, TIERS, Citation, RuleSpec, Text

_FORMATTER = string.Formatter()
FROM_TERM = "from_term"  # a text_hit rule whose tier is the lexicon entry's tier
MODEL_KINDS = ("product", "promotion", "room", "room_product")  # subjects that are input records
FORMAT_SPECS = ("", "yuan", "bp", "duration", "duration_en", "basis_en")


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    kind: str
    url: str | None = None
    note: str | None = None
    title_en: str | None = None  # the title as an English reader finds the document


@dataclass(frozen=True, slots=True)
class Penalty:
    zh: str
    en: str
    confidence: str | None = None


@dataclass(frozen=True)
class Rule:
    """A validated rule with its condition compiled once per platform."""

    id: str
    name: str
    topic: str
    tier: str
    platforms: tuple[str, ...]
    applies_to: str
    field: str | None
    message: Text
    fix: Text
    cite: tuple[Citation, ...]
    actions: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]]  # platform -> resolved params
    conditions: Mapping[str, Condition]  # platform -> compiled condition
    spec: RuleSpec
    file: str

    @property
    def low_confidence(self) -> bool:
        """True when any citation is L: the rule is a configurable default, not law."""
        return any(c.confidence == "L" for c in self.cite)


@dataclass
class RuleSet:
    rules: list[Rule]
    sources: dict[str, Source]
    penalties: dict[str, dict[str, Penalty]]  # tier -> platform -> penalty
    tier_rank: dict[str, int]
    digest: str
    by_id: dict[str, Rule] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {rule.id: rule for rule in self.rules}

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> RuleSet:
        """A copy with only the rules whose id starts with a ``select`` prefix and no ``ignore`` prefix.

        A prefix or topic that matches no rule is a ConfigError: a typo must not silently run nothing.
        """
        sel, ign = tuple(select), tuple(ignore)
        for word in (*sel, *ign):
            if not any(r.id.startswith(word) or r.topic == word for r in self.rules):
                raise ConfigError(f"select/ignore: {word!r} matches no rule id, id prefix or topic")
        kept = [
            r for r in self.rules
            if (not sel or r.id.startswith(sel) or r.topic in sel) and not (ign and (r.id.startswith(ign) or r.topic in ign))
        ]
        return RuleSet(kept, self.sources, self.penalties, self.tier_rank, self.digest)


def _read_yaml_stream(path: Path) -> list[Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            return [doc for doc in load_yaml_all(fh) if doc is not None]
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(str(path), f"cannot read: {exc}") from exc


def _read_mapping(path: Path) -> dict[str, Any]:
    docs = _read_yaml_stream(path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise RuleFileError(str(path), "expected one mapping")
    return docs[0]


def load_sources(path: Path) -> dict[str, Source]:
    raw = _read_mapping(path)
    sources = {}
    for key, spec in raw.items():
        if not isinstance(spec, dict) or not {"title", "title_en", "kind"} <= set(spec):
            raise RuleFileError(str(path), f"source {key} needs a title, a title_en and a kind")
        sources[key] = Source(key, spec["title"], spec["kind"], spec.get("url"), spec.get("note"), spec["title_en"])
    return sources


def load_penalties(path: Path) -> tuple[dict[str, dict[str, Penalty]], dict[str, int]]:
    raw = _read_mapping(path).get("tiers", {})
    if set(raw) != set(TIERS):
        raise RuleFileError(str(path), f"tiers must be exactly {', '.join(TIERS)}")
    penalties: dict[str, dict[str, Penalty]] = {}
    ranks: dict[str, int] = {}
    for tier, spec in raw.items():
        ranks[tier] = int(spec["rank"])
        per_platform = spec.get("penalty", {})
        missing = set(PLATFORMS) - set(per_platform)
        if missing:
            raise RuleFileError(str(path), f"tier {tier} has no penalty for {', '.join(sorted(missing))}")
        penalties[tier] = {
            p: Penalty(v["zh"], v["en"], v.get("confidence")) for p, v in per_platform.items()
        }
    return penalties, ranks


class _Compiler:
    """Compile one rule's ``when`` for one platform's params, checking fields, operators and types."""

    def __init__(self, schema: Mapping[str, FactSpec], params: Mapping[str, Any], fail: Any) -> None:
        self.schema = schema
        self.params = params
        self.fail = fail

    def compile(self, node: Any, where: str = "when") -> Condition:
        if not isinstance(node, dict):
            self.fail(f"{where}: expected a mapping, got {node!r}")
        keys = set(node)
        if keys in ({"all"}, {"any"}):
            (key,) = keys
            items = node[key]
            if not isinstance(items, list) or not items:
                self.fail(f"{where}.{key}: expected a non-empty list")
            compiled = tuple(self.compile(item, f"{where}.{key}[{i}]") for i, item in enumerate(items))
            if len(compiled) == 1:
                return compiled[0]
            return All(compiled) if key == "all" else Any_(compiled)
        if not keys <= {"field", "op", "value"} or not {"field", "op"} <= keys:
            self.fail(f"{where}: a condition is {{field, op, value}} or {{all: [...]}} / {{any: [...]}}, got keys {sorted(keys)}")
        return self._comparison(node, where)

    def _field(self, name: Any, where: str) -> FactSpec:
        spec = self.schema.get(name) if isinstance(name, str) else None
        if spec is None:
            self.fail(f"{where}: unknown fact field {name!r}")
        if spec.display_only:  # type: ignore[union-attr]
            self.fail(f"{where}: {name} is a display-only field and cannot be used in a condition")
        return spec  # type: ignore[return-value]

    def _literal(self, value: Any, spec: FactSpec, where: str) -> Any:
        ok = isinstance(value, spec.type) and not (spec.type is int and isinstance(value, bool))
        if not ok:
            self.fail(f"{where}: value {value!r} does not fit a {spec.type.__name__} field")
        return value

    def _comparison(self, node: dict[str, Any], where: str) -> Cmp:
        name, op = node["field"], node["op"]
        spec = self._field(name, where)
        if op not in OPERATORS:
            self.fail(f"{where}: unknown operator {op!r}; known: {', '.join(OPERATORS)}")
        if op in ("exists", "missing"):
            if "value" in node:
                self.fail(f"{where}: {op} takes no value")
            return Cmp(name, op)
        if "value" not in node:
            self.fail(f"{where}: {op} needs a value")
        if op in ORDERING and spec.type is not int:
            self.fail(f"{where}: {op} needs a numeric field; {name} is {spec.type.__name__}")
        if spec.type is bool and op not in ("eq", "ne"):
            self.fail(f"{where}: a bool field takes eq or ne only")
        value = node["value"]
        if isinstance(value, dict):
            if set(value) == {"param"}:
                pname = value["param"]
                if pname not in self.params:
                    self.fail(f"{where}: unknown param {pname!r}")
                value = self.params[pname]
                if pname.endswith("_yuan"):  # money params are written in yuan, like every input; facts are fen
                    try:
                        value = yuan_to_fen(value)
                    except ValueError as exc:
                        self.fail(f"{where}: param {pname}: {exc}")
            elif set(value) == {"field"}:
                if op in ("in", "not_in"):
                    self.fail(f"{where}: {op} cannot compare with another field")
                ref_spec = self._field(value["field"], where)
                if ref_spec.type is not spec.type:
                    self.fail(f"{where}: {name} and {value['field']} have different types")
                return Cmp(name, op, None, value["field"])
            else:
                self.fail(f"{where}: a value is a literal, {{param: NAME}} or {{field: NAME}}")
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                self.fail(f"{where}: {op} needs a non-empty list")
            return Cmp(name, op, tuple(self._literal(v, spec, where) for v in value))
        return Cmp(name, op, self._literal(value, spec, where))


def _placeholders(text: str) -> Iterable[tuple[str, str]]:
    for _, name, spec, _ in _FORMATTER.parse(text):
        if name is not None:
            yield name, spec or ""


def _rule_from_spec(spec: RuleSpec, path: Path, sources: Mapping[str, Source], overrides: Mapping[str, Any]) -> Rule:
    def fail(message: str) -> None:
        raise RuleFileError(str(path), message, spec.id)

    schema = schemas()[spec.applies_to]
    if spec.field is not None and spec.applies_to not in MODEL_KINDS:
        fail(f"field names an input field; {spec.applies_to} subjects have none")
    if spec.tier == FROM_TERM and spec.applies_to != "text_hit":
        fail("tier from_term is only for text_hit rules (the tier comes from the lexicon entry)")
    for cite in spec.cite:
        if cite.source not in sources:
            fail(f"cites unknown source {cite.source!r} (add it to rules/sources.yaml)")
    for platform, pparams in spec.platform_params.items():
        for key in pparams:
            if key not in spec.params:
                fail(f"platform_params.{platform}.{key} overrides no param")
    for platform, by_rule in overrides.get("platform_params", {}).items():
        if spec.id in by_rule and platform not in spec.platforms:
            raise ConfigError(f"config: platform_params.{platform}.{spec.id}: the rule does not run on {platform}")
        for key in by_rule.get(spec.id, {}):
            if key not in spec.params:
                raise ConfigError(f"config: platform_params.{platform}.{spec.id} has no param {key!r}; it has {sorted(spec.params)}")
    rule_override = overrides.get("params", {}).get(spec.id, {})
    for key in rule_override:
        if key not in spec.params:
            raise ConfigError(f"config: rule {spec.id} has no param {key!r}; it has {sorted(spec.params)}")
    params: dict[str, dict[str, Any]] = {}
    conditions: dict[str, Condition] = {}
    for platform in spec.platforms:
        resolved = {**spec.params, **spec.platform_params.get(platform, {}), **rule_override}
        resolved.update(overrides.get("platform_params", {}).get(platform, {}).get(spec.id, {}))
        for key, value in resolved.items():
            if key.endswith("_yuan") and isinstance(value, (int, float)) and not isinstance(value, bool):
                continue  # an amount in yuan may have fen; checked when the condition resolves it
            if type(value) is not type(spec.params[key]):
                fail(f"param {key} must stay a {type(spec.params[key]).__name__}, got {value!r}")
        params[platform] = resolved
        conditions[platform] = _Compiler(schema, resolved, fail).compile(spec.when)
    for text in (spec.message.zh, spec.message.en, spec.fix.zh, spec.fix.en):
        for name, fmt in _placeholders(text):
            if name not in schema and name not in spec.params:
                fail(f"placeholder {{{name}}} is neither a {spec.applies_to} fact nor a param")
            if fmt not in FORMAT_SPECS:
                fail(f"placeholder {{{name}:{fmt}}}: format must be one of {FORMAT_SPECS}")
    if not any(t.expect == "pass" for t in spec.tests) or not any(t.expect == "fail" for t in spec.tests):
        fail("needs at least one test that passes and one that fails")
    for test in spec.tests:
        for key, value in test.facts.items():
            fact = schema.get(key)
            if fact is None:
                fail(f"test {test.name}: unknown fact field {key!r}")
            elif not isinstance(value, fact.type) or (fact.type is int and isinstance(value, bool)):
                fail(f"test {test.name}: {key}={value!r} is not a {fact.type.__name__}")  # type: ignore[union-attr]
        if test.platform is not None and test.platform not in spec.platforms:
            fail(f"test {test.name}: platform {test.platform} is not one of the rule's platforms")
    return Rule(
        id=spec.id,
        name=spec.name,
        topic=spec.topic,
        tier=overrides.get("tiers", {}).get(spec.id, spec.tier),
        platforms=tuple(spec.platforms),
        applies_to=spec.applies_to,
        field=spec.field,
        message=spec.message,
        fix=spec.fix,
        cite=tuple(spec.cite),
        actions=tuple(spec.actions),
        params=params,
        conditions=conditions,
        spec=spec,
        file=str(path),
    )


def _config_problems(loaded: Any) -> list[str]:
    """Every mistake in a config's shape, each naming its key (values are checked against the rules later)."""
    allowed = ("params", "platform_params", "tiers", "select", "ignore")
    if not isinstance(loaded, dict):
        return [f"a config is a mapping with keys {', '.join(allowed)}"]
    found = [f"{key}: unknown key; known: {', '.join(allowed)}" for key in loaded if key not in allowed]
    for key in ("select", "ignore"):
        value = loaded.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value)):
            found.append(f"{key}: a list of rule ids, id prefixes or topics, e.g. [{'PRICE-002' if key == 'ignore' else 'QUAL'}]")
    for key in ("params", "tiers"):
        value = loaded.get(key, {})
        if not isinstance(value, dict):
            found.append(f"{key}: a mapping keyed by rule id")
    for rule_id, overrides in (loaded.get("params") or {}).items() if isinstance(loaded.get("params"), dict) else ():
        if not isinstance(overrides, dict):
            found.append(f"params.{rule_id}: a mapping of param names to values")
            continue
        for name, value in overrides.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                found.append(f"params.{rule_id}.{name}: a number or text, got {value!r}")
            elif isinstance(value, (int, float)) and value < 0:
                found.append(f"params.{rule_id}.{name}: may not be negative, got {value}")
    platform_params = loaded.get("platform_params", {})
    if not isinstance(platform_params, dict):
        found.append("platform_params: a mapping keyed by platform")
    else:
        for platform, by_rule in platform_params.items():
            if platform not in PLATFORMS:
                found.append(f"platform_params.{platform}: unknown platform; known: {', '.join(PLATFORMS)}")
            elif not isinstance(by_rule, dict):
                found.append(f"platform_params.{platform}: a mapping keyed by rule id")
    for rule_id, tier in (loaded.get("tiers") or {}).items() if isinstance(loaded.get("tiers"), dict) else ():
        if tier not in TIERS:
            found.append(f"tiers.{rule_id}: {tier!r} is not one of {', '.join(TIERS)}")
    return found


def load_config(path: str | Path | None) -> dict[str, Any]:
    """Read a user config file: ``params``, ``platform_params``, ``tiers``, ``select``, ``ignore``.

    The file is read with the same safe loading as catalogs (aliases are bounded), and every mistake
    is a ConfigError naming the file and the key.
    """
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            loaded = load_user_yaml(fh.read()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc
    problems = _config_problems(loaded)
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return loaded


def load_rules(
    rules_dir: str | Path | None = None,
    config: str | Path | Mapping[str, Any] | None = None,
) -> RuleSet:
    """Load every rule under ``rules_dir`` (default: the bundled rules), applying a user config."""
    root = Path(rules_dir) if rules_dir is not None else data_dir("rules")
    overrides = config if isinstance(config, Mapping) else load_config(config)
    sources = load_sources(root / "sources.yaml")
    penalties, ranks = load_penalties(root / "penalties.yaml")
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in sorted(root.glob("*/*.yaml")):
        digest.update(path.read_bytes())
        for doc in _read_yaml_stream(path):
            if not isinstance(doc, dict):
                raise RuleFileError(str(path), "each YAML document must be one rule mapping")
            try:
                spec = RuleSpec.model_validate(doc)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or '(rule)'}: {e['msg']}" for e in exc.errors()
                )
                raise RuleFileError(str(path), problems, doc.get("id")) from None
            if spec.topic != path.parent.name:
                raise RuleFileError(str(path), f"topic {spec.topic} does not match folder {path.parent.name}", spec.id)
            if spec.id in seen:
                raise RuleFileError(str(path), f"duplicate rule id (also in {seen[spec.id]})", spec.id)
            seen[spec.id] = str(path)
            rules.append(_rule_from_spec(spec, path, sources, overrides))
    for rule_id in [*overrides.get("params", {}), *overrides.get("tiers", {}),
                    *(r for by_rule in overrides.get("platform_params", {}).values() for r in by_rule)]:
        if rule_id not in seen:
            raise ConfigError(f"config names unknown rule {rule_id}")
    digest.update(repr(sorted((k, repr(v)) for k, v in overrides.items())).encode())
    ruleset = RuleSet(rules, sources, penalties, ranks, digest.hexdigest()[:12])
    if overrides.get("select") or overrides.get("ignore"):
        ruleset = ruleset.select(overrides.get("select", ()), overrides.get("ignore", ()))
    return ruleset


@cache
def default_rules() -> RuleSet:
    """The bundled rules with no user config, loaded once per process."""
    return load_rules()
