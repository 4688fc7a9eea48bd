from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from guard.model import Merchant, Product, yuan_to_fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [(59, 5900), ("59", 5900), ("59.9", 5990), ("59.99", 5999), (19.99, 1999), (0.1, 10), (Decimal("1.50"), 150),
     ("¥1,299.00", 129900), ("12元", 1200), ("0", 0), (1.10, 110)],
)
def test_yuan_to_fen(value: object, fen: int) -> None:
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize(
    ("value", "message"),
    [("19.999", "at most 2 decimal places"), (1e-05, "at most 2 decimal places"), (float("nan"), "finite"),
     (float("inf"), "finite"), ("-1", "negative"), (-0.5, "negative"), ("abc", "not an amount"), (True, "expected"),
     ([1], "expected an amount"), ("NaN", "finite"), (10_000_001, "price cap"), ("10000000.01", "price cap"),
     (2**70, "price cap"), ("1e30", "price cap"), (1e30, "price cap"), ("9" * 40, "price cap")],
)
def test_yuan_to_fen_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        yuan_to_fen(value)


def test_the_price_cap_itself_is_accepted() -> None:
    assert yuan_to_fen(10_000_000) == yuan_to_fen("10000000.00") == 1_000_000_000


@given(st.integers(min_value=0, max_value=10**9))
def test_fen_round_trips_through_yuan_text(fen: int) -> None:
    assert yuan_to_fen(f"{fen // 100}.{fen % 100:02d}") == fen


def test_product_collects_every_problem() -> None:
    with pytest.raises(ValidationError) as info:
        Product.model_validate({"id": "P", "category": "nope", "price": "1.005", "stock": -1, "colour": "red"})
    locations = {tuple(e["loc"]) for e in info.value.errors()}
    assert locations == {("category",), ("price",), ("stock",), ("name",), ("colour",)}


def test_aliases_and_zone() -> None:
    product = Product.model_validate({
        "id": "P", "category": "服饰鞋包", "name": "T恤", "price": "10", "price_type": "显示折扣价", "price2": "8",
        "platform": "抖音", "price_history": [{"at": "2026-11-20T10:00:00", "price": "9"}],
    })
    assert (product.category, product.price_type, product.platform) == ("apparel", "discount", "douyin")
    assert product.price_history[0].at.utcoffset() == timedelta(hours=8)
    assert product.current_price == 800
    assert Merchant.model_validate({"mode": "服务商"}).mode == "service_provider"


def test_models_are_frozen() -> None:
    product = Product.model_validate({"id": "P", "category": "general", "name": "杯子", "price": 1})
    with pytest.raises(ValidationError):
        product.price = 5  # type: ignore[misc]
    assert isinstance(product.model_copy(update={"platform": "douyin"}), Product)


def test_counts_are_bounded_so_integer_facts_never_overflow() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 1000000000"):
        Product.model_validate({"id": "P", "category": "apparel", "name": "T恤", "price": "1", "stock": 2**63})


def test_a_listed_price_of_zero_is_an_input_error() -> None:
    with pytest.raises(ValidationError, match="greater than 0"):
        Product.model_validate({"id": "P", "category": "apparel", "name": "T恤", "price": "0"})
    with pytest.raises(ValidationError, match="greater than 0"):
        Product.model_validate({"id": "P", "category": "apparel", "name": "T恤", "price": "0.00"})
