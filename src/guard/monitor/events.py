"""Event schemas for live rooms and orders (JSONL, one event per line, discriminated by ``type``).

Every event has ``type`` and ``at`` (a time; without a zone it is China time). ``id`` is optional:
without it, the event's identity is a hash of its content, so an identical line sent twice is a
duplicate. Money is yuan in, fen inside, as in catalogs.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from guard.model import AwareDatetime, Fen, Platform


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = None
    at: AwareDatetime


class RoomCreated(_Event):
    type: Literal["room_created"]
    room: str
    platform: Platform = "wechat"


class RoomStarted(_Event):
    type: Literal["room_started"]
    room: str


class RoomEnded(_Event):
    type: Literal["room_ended"]
    room: str


class ProductImported(_Event):
    type: Literal["product_imported"]
    room: str
    product: str


class QuickBarAdded(_Event):
    type: Literal["quick_bar_added"]
    room: str
    product: str


class QuickBarRemoved(_Event):
    type: Literal["quick_bar_removed"]
    room: str
    product: str


class ProductDelisted(_Event):
    type: Literal["product_delisted"]
    room: str
    product: str


class PriceChanged(_Event):
    type: Literal["price_changed"]
    product: str
    price: Fen
    reference_price: Fen | None = None  # the 原价 shown next to the new price, if any
    operator: str | None = None
    reason: str | None = None
    platform: Platform = "wechat"


class StockChanged(_Event):
    type: Literal["stock_changed"]
    product: str
    stock: int = Field(ge=0)


class OrderCreated(_Event):
    type: Literal["order_created"]
    order: str
    product: str
    quantity: int = Field(default=1, ge=1)
    price: Fen | None = None  # unit price paid: a transaction for the 7-day reference price
    platform: Platform = "wechat"


class _OrderEvent(_Event):
    order: str


class OversoldDetected(_OrderEvent):
    type: Literal["oversold_detected"]


class RefundIssued(_OrderEvent):
    type: Literal["refund_issued"]


class AddressChangeRequested(_OrderEvent):
    type: Literal["address_change_requested"]


class Shipped(_OrderEvent):
    type: Literal["shipped"]


class InterceptionRequested(_OrderEvent):
    type: Literal["interception_requested"]


class OrderFlaggedAbnormal(_OrderEvent):
    type: Literal["order_flagged_abnormal"]


class OrderHandled(_OrderEvent):
    type: Literal["order_handled"]


class OrderClosed(_OrderEvent):
    type: Literal["order_closed"]


Event = Annotated[
    Union[
        RoomCreated, RoomStarted, RoomEnded, ProductImported, QuickBarAdded, QuickBarRemoved, ProductDelisted,
        PriceChanged, StockChanged, OrderCreated, OversoldDetected, RefundIssued, AddressChangeRequested,
        Shipped, InterceptionRequested, OrderFlaggedAbnormal, OrderHandled, OrderClosed,
    ],
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)
EVENT_TYPES = tuple(
    cls.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    for cls in Event.__origin__.__args__  # type: ignore[attr-defined]
)


def parse_event(line: str | bytes) -> Any:
    """Validate one JSON line into an event model (raises pydantic.ValidationError)."""
    return EVENT_ADAPTER.validate_json(line)


def event_key(event: Any, raw: str | bytes) -> str:
    """The event's identity: its ``id``, or a hash of the line's content."""
    if event.id is not None:
        return f"id:{event.id}"
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return "sha1:" + hashlib.sha1(data.strip()).hexdigest()


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())
