"""The page for shop staff and the routes it uses: the static page, categories, catalog uploads, the
post-live report, and a WebSocket that lints caption lines as they come.

Uploads are raw bodies (``Content-Type: application/octet-stream``) named by ``?name=``, so the
body limit counts them like every other request and no multipart parser is needed.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from typing import Any, Literal

import anyio.to_thread
from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from guard.server.limits import Refused, json_bytes
from guard.server.service import Service

STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
MAX_CAPTION = 4096  # characters in one caption line; a longer message is refused, the stream goes on
INLINE_CAPTION = 512  # up to this many characters a line is linted on the event loop (well under a millisecond)
_BINARY = {"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


def _asset(name: str) -> bytes:
    return resources.files("guard.web").joinpath(name).read_bytes()


def _now(value: str | None) -> datetime | None:
    if value is None:
        return None
    from guard.server.models import _iso_time

    try:
        return _iso_time(value)  # type: ignore[no-any-return]
    except ValueError as exc:
        raise Refused(400, str(exc)) from None


def add_web_routes(app: FastAPI, service: Service, *, guarded: list[Any], errors: dict[int | str, dict[str, Any]],
                   bounded: Callable[..., Awaitable[Any]], api_key: str | None, processes: Any = None) -> None:
    """Add the page and its routes to ``app``; ``bounded(fn, *args)`` runs heavy work off the event loop, and
    an uploaded catalog of ``processes.threshold`` bytes or more runs in one of ``processes``."""

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return Response(_asset("index.html"), media_type="text/html; charset=utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise Refused(404, f"no static file {name!r}")
        return Response(_asset(name), media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    @app.get("/v1/categories", dependencies=guarded, responses={401: errors[401]})
    async def categories() -> Response:
        """guard's product categories (id, Chinese name, group)."""
        return Response(json_bytes(service.categories()), media_type="application/json")

    @app.post("/v1/catalog", dependencies=guarded, responses=errors, openapi_extra=_BINARY)
    async def catalog(request: Request, name: str = Query(min_length=1, max_length=255, description="the file's name; its suffix says the format"),
                      lang: Literal["zh", "en"] = "zh", format: Literal["json", "xlsx"] = "json",
                      now: str | None = Query(default=None, description="ISO time to check as of (default: now)")) -> Response:
        """Check an uploaded catalog file (CSV, XLSX, JSON, JSONL or YAML, as a shop back end exports it)."""
        body = await request.body()
        big = processes is not None and len(body) >= processes.threshold
        result = await bounded(processes.catalog if big else service.catalog, body, name, lang, format, _now(now))
        if format == "xlsx":
            return Response(result, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            headers={"Content-Disposition": 'attachment; filename="findings.xlsx"'})
        return Response(json_bytes(result), media_type="application/json")

    @app.post("/v1/report", dependencies=guarded, responses=errors, openapi_extra=_BINARY)
    async def report(request: Request, name: str = Query(min_length=1, max_length=255, description="the export's name (.csv, .xlsx or .json)"),
                     room: str | None = Query(default=None, max_length=200), lang: Literal["zh", "en"] = "zh") -> Response:
        """The post-live report of an uploaded metrics export, against the server's monitor database (--db)."""
        result = await bounded(service.report, await request.body(), name, room, lang)
        return Response(json_bytes(result), media_type="application/json")

    @app.websocket("/v1/captions")
    async def captions(socket: WebSocket, category: str | None = None, platform: Literal["wechat", "douyin", "taobao"] = "wechat",
                       lang: Literal["zh", "en"] = "zh", key: str | None = None) -> None:
        """Caption lines in (one text message each), ``{"line": n, "findings": [...]}`` out for each, in order."""
        if api_key is not None:
            given = socket.headers.get("x-api-key") or key or ""
            if not hmac.compare_digest(given.encode("utf-8"), api_key.encode("utf-8")):
                await socket.close(code=4401, reason="an API key is required (X-API-Key header or ?key=)")
                return
        linter = service.caption_linter(lang)
        try:
            checked_category = None if category is None else _category(category)
        except ValueError as exc:
            await socket.close(code=4400, reason=str(exc)[:120])
            return
        await socket.accept()
        number = 0
        try:
            while True:
                text = await socket.receive_text()
                number += 1
                if len(text) > MAX_CAPTION:
                    await socket.send_text(json.dumps({"line": number, "error": f"a caption line is at most {MAX_CAPTION} characters"}))
                    continue
                if len(text) <= INLINE_CAPTION:
                    found = linter.line(text, number, category=checked_category, platform=platform)
                else:
                    found = await anyio.to_thread.run_sync(
                        lambda: linter.line(text, number, category=checked_category, platform=platform))
                await socket.send_text(json.dumps({"line": number, "findings": [f.to_dict() for f in found]},
                                                  ensure_ascii=False))
        except WebSocketDisconnect:
            return


def _category(value: str) -> str:
    from guard.taxonomy import taxonomy

    return taxonomy().category(value).id
