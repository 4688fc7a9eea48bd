"""The durable engine: the same IR compiled to durable_rules JSON rulesets.

durable_rules 2.0.28 has crash and silent-loss modes (see the project's engine notes). This
wrapper makes each of them impossible or loud:

- every compiled rule starts with a positive discriminator ``{"__guard_kind": kind}``, so the
  engine's own state, pulse and timer messages can never match a rule (no infinite loop);
- a catch-all sentinel rule per kind fires for every fact: if it does not, the engine lost the
  evaluation (a locked sid, a swallowed action) and ``EngineError`` is raised, never ``[]``;
- one ``QuietHost`` per engine with its background threads disabled, one sid, and every
  evaluation is assert_fact then retract_fact under a lock; no ``delete_state``, no default Host;
- facts carry an explicit message id, only the fields rules read, and only int, str and bool
  values (no floats, no None, no field named ``id``/``sid``);
- a comparison with another field is guarded by ``$ex`` on both fields (the engine treats a
  missing referenced field as a match);
- results are de-duplicated by rule id (``$or`` fires once per true branch) and returned in
  rule-file order;
- an exception inside an action, or from the engine, marks the engine broken: it raises on this
  and every later call.
"""

from __future__ import annotations

import itertools
import sys
import threading
import warnings
from collections.abc import Mapping
from typing import Any

from guard.engine.base import Engine
from guard.errors import EngineError, EngineUnavailable
from guard.facts import FactValue
from guard.rules.ir import All, Any_, Cmp, Condition, fields_of
from guard.rules.loader import Rule, RuleSet

try:  # durable_rules is a C extension built from source at install time
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from durable import engine as _durable
    _IMPORT_ERROR: BaseException | None = None
except Exception as exc:  # ImportError on 3.13 (undefined symbol PyEval_CallObject), or not installed
    _durable = None
    _IMPORT_ERROR = exc

KIND_KEY = "__guard_kind"
SENTINEL = "__guard_sentinel__"
_OPS = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
_instances = itertools.count()


def available() -> bool:
    """True when durable_rules can be imported here."""
    return _durable is not None


def unavailable_reason() -> str:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (
        f"the durable engine needs durable_rules 2.0.28, which cannot be loaded on Python {version} "
        f"({_IMPORT_ERROR}). It ships only as source, builds with a C compiler, and does not import on "
        "Python 3.13 or later. Use Python 3.11 or 3.12, or the native engine (the default)."
    )


def compile_condition(condition: Condition) -> dict[str, Any]:
    """Translate one IR condition into durable_rules' JSON expression form."""
    if isinstance(condition, (All, Any_)):
        key = "$and" if isinstance(condition, All) else "$or"
        return {key: [compile_condition(c) for c in condition.items]}
    return _comparison(condition)


def _comparison(cmp: Cmp) -> dict[str, Any]:
    key, op = cmp.field, cmp.op
    if op == "exists":
        return {"$ex": {key: 1}}
    if op == "missing":
        return {"$nex": {key: 1}}
    if op == "in":
        return {"$or": [{key: v} for v in cmp.value]}  # type: ignore[union-attr]
    if op == "not_in":
        return {"$and": [{"$neq": {key: v}} for v in cmp.value]}  # type: ignore[union-attr]
    if cmp.ref is not None:
        ref = {"$m": cmp.ref}
        compared = {key: ref} if op == "eq" else {_OPS[op]: {key: ref}}
        return {"$and": [{"$ex": {key: 1}}, {"$ex": {cmp.ref: 1}}, compared]}
    if op == "eq":
        return {key: cmp.value}
    return {_OPS[op]: {key: cmp.value}}


def compile_ruleset(ruleset: RuleSet, platform: str) -> dict[str, dict[str, Any]]:
    """The durable_rules definition of every rule for ``platform``, without actions."""
    definition: dict[str, dict[str, Any]] = {}
    kinds = sorted({r.applies_to for r in ruleset.rules})
    for kind in kinds:
        definition[f"{SENTINEL}{kind}"] = {"all": [{"m": {KIND_KEY: kind}}]}
    for rule in ruleset.rules:
        if platform not in rule.conditions:
            continue
        expression = {"$and": [{KIND_KEY: rule.applies_to}, compile_condition(rule.conditions[platform])]}
        definition[rule.id] = {"all": [{"m": expression}]}
    return definition


def _check_value(name: str, value: object) -> None:
    if not isinstance(value, (int, str)):  # bool is an int
        raise EngineError(f"fact {name}={value!r}: only int, str and bool reach the durable engine")


class DurableEngine(Engine):
    name = "durable"

    def __init__(self, ruleset: RuleSet) -> None:
        if _durable is None:
            raise EngineUnavailable(unavailable_reason())
        super().__init__(ruleset)

        class QuietHost(_durable.Host):  # type: ignore[name-defined,misc]
            def _run(self) -> None:  # no background dispatch or timer threads
                pass

        self._host = QuietHost()
        self._lock = threading.Lock()
        self._fired: list[str] = []
        self._action_errors: list[str] = []
        self._broken: str | None = None
        self._ids = itertools.count()
        self._sid = "guard"
        self._names: dict[str, str] = {}
        self._fields: dict[str, frozenset[str]] = {}
        instance = next(_instances)
        for kind in {r.applies_to for r in ruleset.rules}:
            fields: set[str] = set()
            for rule in ruleset.rules:
                if rule.applies_to == kind:
                    for condition in rule.conditions.values():
                        fields |= fields_of(condition)
            self._fields[kind] = frozenset(fields)
        for platform in sorted({p for r in ruleset.rules for p in r.platforms}):
            definition = compile_ruleset(ruleset, platform)
            for rule_name, compiled in definition.items():
                compiled["run"] = self._action(rule_name)
            name = f"guard_{platform}_{ruleset.digest}_{instance}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self._host.register_rulesets({name: definition})
            self._names[platform] = name

    def _record(self, rule_name: str) -> None:
        self._fired.append(rule_name)

    def _action(self, rule_name: str) -> Any:
        def action(c: Any) -> None:  # exactly one parameter: two would make it an async action
            try:
                self._record(rule_name)
            except BaseException as exc:  # never let it reach the engine: it would lock the sid
                self._action_errors.append(f"{rule_name}: {exc!r}")

        return action

    def fired(self, kind: str, platform: str, facts: Mapping[str, FactValue]) -> list[Rule]:
        name = self._names.get(platform)
        if name is None or kind not in self._fields:
            return []
        message: dict[str, Any] = {"sid": self._sid, "id": f"g{next(self._ids)}", KIND_KEY: kind}
        for key in self._fields[kind]:
            value = facts.get(key)
            if value is not None:
                _check_value(key, value)
                message[key] = value
        with self._lock:
            if self._broken:
                raise EngineError(f"durable engine unusable after an earlier failure: {self._broken}")
            self._fired.clear()
            self._action_errors.clear()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    try:
                        self._host.assert_fact(name, message)
                    finally:
                        self._host.retract_fact(name, {"sid": self._sid, "id": message["id"]})
            except BaseException as exc:
                self._broken = repr(exc)
                raise EngineError(f"durable engine failed on a {kind} fact: {exc!r}") from exc
            if self._action_errors:
                self._broken = "; ".join(self._action_errors)
                raise EngineError(f"durable rule action failed: {self._broken}")
            names = set(self._fired)
        if f"{SENTINEL}{kind}" not in names:
            self._broken = "sentinel rule did not fire"
            raise EngineError(
                f"durable engine lost an evaluation of a {kind} fact (sentinel rule did not fire); "
                "results would be incomplete"
            )
        return sorted((self.ruleset.by_id[n] for n in names if n in self.ruleset.by_id), key=lambda r: self._order[r.id])
