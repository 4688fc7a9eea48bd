from __future__ import annotations

from types import ModuleType

import guard


def test_all_is_sorted_and_complete() -> None:
    assert guard.__all__ == sorted(guard.__all__)
    public = {name for name, value in vars(guard).items()
              if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"}
    assert set(guard.__all__) == public
    for name in guard.__all__:
        assert getattr(guard, name) is not None


def test_check_accepts_models_and_dicts_alike() -> None:
    product = guard.Product.model_validate({"id": "P1", "category": "general", "name": "玻璃水杯", "price": "9.90",
                                            "cover_width": 999})
    from_model = [f.to_dict() for f in guard.check([product])]
    from_dict = [f.to_dict() for f in guard.check([{"id": "P1", "category": "general", "name": "玻璃水杯",
                                                    "price": "9.90", "cover_width": 999}])]
    assert from_model == from_dict
    assert "LIST-007" in {d["rule"] for d in from_model}


def test_the_rules_a_text_hit_fires_are_remembered_by_its_facts(monkeypatch) -> None:
    """Linter.findings asks the engine once per distinct text-hit facts, and the memo stays bounded."""
    import sys

    from guard.lint import Linter

    lint_module = sys.modules["guard.lint"]

    linter = Linter()
    calls = []
    real = linter.engine.fired

    def counting(kind, platform, facts):
        calls.append(facts["matched"])
        return real(kind, platform, facts)

    monkeypatch.setattr(linter.engine, "fired", counting)
    first = linter.text("最好的面霜。\n最好的面霜。\n最好的面霜。", platform="douyin")
    assert [f.line for f in first.findings] == [1, 2, 3] and calls == ["最好"]  # three hits, one decision
    linter.text("顶级的面霜。", platform="douyin")
    assert calls == ["最好", "顶级"]
    monkeypatch.setattr(lint_module, "_FIRED_CACHE", 1)
    linter.text("全网最低价。", platform="douyin")
    assert len(linter._fired) <= 1
