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
