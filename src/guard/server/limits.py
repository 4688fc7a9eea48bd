"""What a client may cost the door: body size, time to send a request, and JSON for every refusal.

``BodyLimit`` is ASGI middleware: it refuses a Content-Length over the limit or not a
non-negative integer before the body is read, counts the bytes of a body as it arrives (chunked
included) and gives up on a body that has not fully arrived within the read timeout.
``GuardedH11Protocol`` is uvicorn's HTTP/1.1 protocol with a deadline for the request line and
headers (a client that connects and stalls is disconnected) and a JSON answer to requests that are
not HTTP at all.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def json_bytes(payload: Any) -> bytes:
    """``json.dumps(payload)`` as UTF-8; an object's lists are encoded an item at a time.

    The C encoder holds the GIL for a whole call: one call over a report with 50,000 findings
    stalls the event loop for over a second; item by item, other threads get their turns.
    """
    if not (isinstance(payload, dict) and all(isinstance(key, str) for key in payload)
            and any(isinstance(value, list) for value in payload.values())):
        return _dumps(payload)
    members = []
    for key, value in payload.items():
        encoded = b"[" + b", ".join(map(_dumps, value)) + b"]" if isinstance(value, list) else _dumps(value)
        members.append(_dumps(key) + b": " + encoded)
    return b"{" + b", ".join(members) + b"}"


class Refused(Exception):
    """A request the door answers with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


CLOSE = {"Connection": "close"}  # after a refused body: the rest of it is not read


async def _refuse_unread(send: Send, refused: Refused) -> None:
    body = json_bytes({"error": str(refused)})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    headers += [(name.lower().encode(), value.encode()) for name, value in (refused.headers or {}).items()]
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope, max_body: int) -> None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit():
                raise Refused(400, f"Content-Length must be a non-negative integer, got {value.decode('latin-1')!r}")
            if int(value) > max_body:
                raise Refused(413, f"body over {max_body} bytes (Content-Length {int(value)})")


class BodyLimit:
    """Refuse bodies over ``max_body`` bytes however they arrive, and bodies slower than ``read_timeout`` seconds.

    A Content-Length that is too large or not a number is answered here; a body refused while it
    streams in raises ``Refused`` inside the application, which answers it.
    """

    def __init__(self, app: ASGIApp, *, max_body: int, read_timeout: float) -> None:
        self.app = app
        self.max_body = max_body
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _content_length(scope, self.max_body)
        except Refused as refused:
            await _refuse_unread(send, refused)
            return
        received = 0
        body_done = False
        deadline = anyio.current_time() + self.read_timeout

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
                    message = await receive()
            except TimeoutError:
                raise Refused(408, f"the request body did not arrive within {self.read_timeout:g} s", CLOSE) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise Refused(413, f"body over {self.max_body} bytes", CLOSE)
                body_done = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's line and headers.

    Over uvicorn's ``limit_concurrency`` (open connections or requests in flight) it answers
    503 as JSON, where uvicorn itself answers in plain text.
    """

    head_timeout: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        limit, self.limit_concurrency = self.limit_concurrency, None
        if limit is not None:
            self.app = self._bounded(self.app, limit)

    def _bounded(self, app: ASGIApp, limit: int) -> ASGIApp:
        async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
            # this connection and this request's task are already counted
            if len(self.connections) > limit or len(self.tasks) > limit:
                await _refuse_unread(send, Refused(503, f"over {limit} connections; try again", {"Retry-After": "1"}))
            else:
                await app(scope, receive, send)

        return bounded

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Start the clock when a request's head is awaited; stop it once the head has arrived."""
        awaiting_head = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if awaiting_head and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)
        elif not awaiting_head:
            self._stop_head_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        body = json_bytes({"error": "not a valid HTTP/1.1 request: its request line, headers or framing"})
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def protocol_with_head_timeout(seconds: float) -> type[GuardedH11Protocol]:
    """A protocol class for uvicorn's ``http=`` whose request heads must arrive within ``seconds``."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"head_timeout": seconds})
