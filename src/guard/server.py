"""``guard serve``: a small JSON-over-HTTP door for services not written in Python.

    GET  /healthz      {"status": "ok", "version": ..., "engine": ...}
    GET  /v1/rules     every rule: id, name, topic, tier, platforms
    POST /v1/check     {"products": [...], "merchant": {...}, "promotions": [...], "live_rooms": [...],
                        "platform": null, "lang": "zh", "now": null}  ->  a report
    POST /v1/lint      {"text": "...", "category": null, "platform": "wechat", "lang": "zh"}  ->  a report

A report is ``Report.to_dict()``: findings, problems (records that could not be checked, with
locations) and a summary, exactly what ``guard check --format json`` prints. Errors are JSON
``{"error": ...}`` with 400 (bad JSON or shape), 404, 405, 413 (body too large) or 500 (engine
failure); no traceback leaves the process. The door holds no rule logic: it calls the library.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from guard import __version__
from guard.check import check
from guard.engine import Engine, make_engine
from guard.errors import EngineError, GuardError
from guard.lint import Linter
from guard.model import CHINA_TZ
from guard.rules.loader import RuleSet

log = logging.getLogger("guard.server")
MAX_BODY = 10 * 1024 * 1024


class RequestError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class Service:
    """The library calls behind the routes, sharing one rule set and engine."""

    def __init__(self, ruleset: RuleSet, engine: Engine | str | None = None) -> None:
        self.ruleset = ruleset
        self.engine = engine if isinstance(engine, Engine) else make_engine(ruleset, engine)
        self.linters = {lang: Linter(rules=ruleset, engine=self.engine, lang=lang) for lang in ("zh", "en")}

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "engine": self.engine.name, "rules": len(self.ruleset.rules)}

    def rules(self) -> dict[str, Any]:
        return {"rules": [{"id": r.id, "name": r.name, "topic": r.topic, "tier": r.tier, "platforms": list(r.platforms)}
                          for r in self.ruleset.rules]}

    def check(self, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"products", "merchant", "promotions", "live_rooms", "platform", "lang", "now"})
        now = body.get("now")
        try:
            moment = datetime.fromisoformat(now) if now else None
        except (TypeError, ValueError):
            raise RequestError(HTTPStatus.BAD_REQUEST, f"now: not an ISO time: {now!r}") from None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA_TZ)
        report = check(
            _list(body, "products"), merchant=_mapping(body, "merchant"), promotions=_list(body, "promotions"),
            live_rooms=_list(body, "live_rooms"), platform=_choice(body, "platform", (None, "wechat", "douyin", "taobao")),
            engine=self.engine, rules=self.ruleset, now=moment, lang=_choice(body, "lang", ("zh", "en"), "zh"),
        )
        return report.to_dict()

    def lint(self, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"text", "category", "platform", "lang"})
        text = body.get("text")
        if not isinstance(text, str):
            raise RequestError(HTTPStatus.BAD_REQUEST, "text: a string is required")
        category = body.get("category")
        if category is not None and not isinstance(category, str):
            raise RequestError(HTTPStatus.BAD_REQUEST, "category: a string or null")
        linter = self.linters[_choice(body, "lang", ("zh", "en"), "zh")]
        platform = _choice(body, "platform", ("wechat", "douyin", "taobao"), "wechat")
        return linter.text(text, category=category, platform=platform).to_dict()


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RequestError(HTTPStatus.BAD_REQUEST, f"unknown field(s) {unknown}; allowed: {sorted(allowed)}")


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise RequestError(HTTPStatus.BAD_REQUEST, f"{name}: a list of objects is required")
    return value


def _mapping(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise RequestError(HTTPStatus.BAD_REQUEST, f"{name}: an object or null is required")
    return value


def _choice(body: dict[str, Any], name: str, choices: tuple[Any, ...], default: Any = None) -> Any:
    value = body.get(name, default)
    if value not in choices:
        raise RequestError(HTTPStatus.BAD_REQUEST, f"{name}: one of {[c for c in choices if c is not None]}")
    return value


def make_server(host: str, port: int, service: Service, max_body: int = MAX_BODY) -> ThreadingHTTPServer:
    """An HTTP server bound to ``host:port`` (port 0 picks a free one) serving ``service``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = f"guard/{__version__}"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            log.info("%s %s", self.address_string(), format % args)

        def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            reads: dict[str, Callable[[], dict[str, Any]]] = {"/healthz": service.health, "/v1/rules": service.rules}
            writes: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
                "/v1/check": service.check, "/v1/lint": service.lint}
            path = self.path.split("?", 1)[0]
            try:
                if method == "GET" and path in reads:
                    self._send(HTTPStatus.OK, reads[path]())
                elif method == "POST" and path in writes:
                    self._send(HTTPStatus.OK, writes[path](self._body()))
                else:
                    status = HTTPStatus.METHOD_NOT_ALLOWED if path in reads or path in writes else HTTPStatus.NOT_FOUND
                    raise RequestError(status, f"{method} {path} is not served")
            except RequestError as exc:
                self._send(exc.status, {"error": str(exc)})
            except EngineError as exc:
                log.error("engine failure: %s", exc)
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"engine failure: {exc}"})
            except (GuardError, ValueError) as exc:
                self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

        def _body(self) -> dict[str, Any]:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                raise RequestError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required") from None
            if length > max_body:
                raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {max_body} bytes")
            try:
                body = json.loads(self.rfile.read(length).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise RequestError(HTTPStatus.BAD_REQUEST, f"body is not JSON: {exc}") from None
            if not isinstance(body, dict):
                raise RequestError(HTTPStatus.BAD_REQUEST, "body must be a JSON object")
            return body

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
