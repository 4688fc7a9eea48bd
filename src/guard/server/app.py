"""The FastAPI application: routes, API key, bounded work off the event loop, JSON errors."""

from __future__ import annotations

import hmac
import json
import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request, Security
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from guard import __version__
from guard.errors import EngineError, GuardError
from guard.server.limits import BodyLimit, Refused, json_bytes
from guard.server.models import (RECORD_KEY, RECORD_MODELS, CheckRequest, ErrorOut, HealthOut, LintRequest,
                                 ReportOut, RulesOut)
from guard.server.service import Service
from guard.server.web import add_web_routes

log = logging.getLogger("guard.server")
MAX_BODY = 10 * 1024 * 1024
MAX_CONCURRENCY = 4
QUEUE_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
Model = TypeVar("Model", bound=BaseModel)
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description} for status, description in (
        (400, "not JSON, not an object, wrong fields, nested too deeply, or rejected by the library"),
        (401, "no API key or a wrong one (only when the server has a key)"),
        (408, "the body did not arrive within the read timeout"),
        (413, "body over the limit"),
        (503, "every worker stayed busy for the queue timeout; see Retry-After"),
    )}


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json_bytes(payload), status_code=status, headers=headers, media_type="application/json")


def _describe(error: ValidationError, model: type[BaseModel]) -> str:
    """One line naming every wrong field, the way the library names them."""
    unknown = [".".join(map(str, e["loc"])) for e in error.errors() if e["type"] == "extra_forbidden"]
    parts = [f"unknown field(s) {unknown}; allowed: {sorted(model.model_fields)}"] if unknown else []
    for e in error.errors():
        if e["type"] != "extra_forbidden":
            message = str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"]
            parts.append(f"{'.'.join(map(str, e['loc']))}: {message}")
    return "; ".join(parts)


def parse(body: bytes, model: type[Model]) -> Model:
    """A request body as ``model``, or ``Refused`` with status 400 saying what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(400, f"body is not JSON: {exc}") from None
    except RecursionError:
        raise Refused(400, "body is JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise Refused(400, "body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Refused(400, _describe(exc, model)) from None


def _library(call: Callable[..., Any], *args: Any) -> Any:
    """A library call whose input errors are the client's (400); an engine failure stays a 500."""
    try:
        return call(*args)
    except EngineError:
        raise
    except (GuardError, ValueError) as exc:
        raise Refused(400, str(exc)) from None
    except RecursionError:
        raise Refused(400, "a record is nested too deeply") from None


def _answer(body: bytes, model: type[Model], call: Callable[[Model], dict[str, Any]]) -> bytes:
    """Parse, call the library and encode: everything a heavy request costs, run in a worker thread."""
    return json_bytes(_library(call, parse(body, model)))


def _api_key_check(api_key: str) -> Callable[..., Any]:
    expected = api_key.encode("utf-8")

    async def require_api_key(
        bearer: HTTPAuthorizationCredentials | None = Security(HTTPBearer(auto_error=False)),
        header: str | None = Security(APIKeyHeader(name="X-API-Key", auto_error=False)),
    ) -> None:
        given = header if header is not None else bearer.credentials if bearer is not None else ""
        if not hmac.compare_digest(given.encode("utf-8"), expected):
            raise Refused(401, "an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>",
                          headers={"WWW-Authenticate": "Bearer"})

    return require_api_key


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the request models and guard's record models they point at."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (CheckRequest, LintRequest, *RECORD_MODELS):
            generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(generated.pop("$defs", {}))
            components[model.__name__] = generated
        app.openapi_schema = _link_records(schema)
    return app.openapi_schema


def _link_records(node: Any) -> Any:
    if isinstance(node, dict):
        if RECORD_KEY in node:
            return {"$ref": f"#/components/schemas/{node[RECORD_KEY]}"}
        return {key: _link_records(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_link_records(value) for value in node]
    return node


def _body_of(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def make_app(service: Service, *, max_body: int = MAX_BODY, api_key: str | None = None,
             max_concurrency: int = MAX_CONCURRENCY, queue_timeout: float = QUEUE_TIMEOUT,
             read_timeout: float = READ_TIMEOUT, processes: Any = None) -> FastAPI:
    """The HTTP door over ``service``.

    At most ``max_concurrency`` checks and lints run at once, in worker threads; one that waits
    longer than ``queue_timeout`` seconds for a turn is answered 503 with Retry-After. With an
    ``api_key``, every route under ``/v1`` requires it. With ``processes`` (``WorkerProcesses``), a
    lint or an uploaded catalog of at least its threshold runs in one of its worker processes.
    """
    app = FastAPI(title="guard", version=__version__, redoc_url=None,
                  description="Live-commerce compliance checks and script linting; the same reports as the library. "
                              "The page for shop staff is at /. WebSocket /v1/captions?category=&platform=&lang=: "
                              "send one caption line per text message, receive {line, findings} for each, in order "
                              "(with an API key: the X-API-Key header or ?key=).")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    gate = anyio.Semaphore(max_concurrency)
    workers = anyio.CapacityLimiter(max_concurrency)
    retry_after = str(max(1, math.ceil(queue_timeout)))
    guarded = [Security(_api_key_check(api_key))] if api_key else []

    async def bounded(call: Callable[..., Any], *args: Any) -> Any:
        """Run ``call`` in a worker thread, at most ``max_concurrency`` at once; 503 after the queue timeout."""
        try:
            with anyio.fail_after(queue_timeout):
                await gate.acquire()
        except TimeoutError:
            raise Refused(503, f"busy: {max_concurrency} requests are being served; try again",
                          headers={"Retry-After": retry_after}) from None
        try:
            return await anyio.to_thread.run_sync(call, *args, limiter=workers)
        finally:
            gate.release()

    async def offload(body: bytes, model: type[Model], call: Callable[[Model], dict[str, Any]]) -> Response:
        return Response(await bounded(_answer, body, model, call), media_type="application/json")

    @app.get("/healthz", response_model=HealthOut)
    async def healthz() -> Response:
        return json_response(service.health())

    @app.get("/v1/rules", response_model=RulesOut, dependencies=guarded, responses={401: _ERRORS[401]})
    async def rules() -> Response:
        return json_response(service.rules())

    @app.post("/v1/check", response_model=ReportOut, dependencies=guarded, responses=_ERRORS,
              openapi_extra=_body_of(CheckRequest))
    async def check(request: Request) -> Response:
        """Check a catalog: products, merchant, promotions and live rooms (money in yuan)."""
        return await offload(await request.body(), CheckRequest, service.check)

    @app.post("/v1/lint", response_model=ReportOut, dependencies=guarded, responses=_ERRORS,
              openapi_extra=_body_of(LintRequest))
    async def lint(request: Request) -> Response:
        """Lint a script: every banned term with its rule, tier, offsets and a rewrite."""
        body = await request.body()
        if processes is not None and len(body) >= processes.threshold:
            return Response(await bounded(processes.lint, body), media_type="application/json")
        return await offload(body, LintRequest, service.lint)

    async def library(call: Callable[..., Any], *args: Any) -> Any:
        return await bounded(_library, call, *args)

    add_web_routes(app, service, guarded=guarded, errors=_ERRORS, bounded=library, api_key=api_key,
                   processes=processes)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return json_response({"error": str(exc)}, exc.status, exc.headers)

    @app.exception_handler(HTTPException)
    async def not_served(request: Request, exc: HTTPException) -> Response:
        """The router's 404 (no such path) and 405 (path served for other methods, in Allow)."""
        message = f"{request.method} {request.url.path} is not served"
        if exc.headers and "Allow" in exc.headers:
            message += f"; allowed: {exc.headers['Allow']}"
        return json_response({"error": message}, exc.status_code, exc.headers)

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> Response:
        return json_response({"error": "the client closed the connection before its body arrived"}, 400)

    @app.exception_handler(EngineError)
    async def engine_failed(request: Request, exc: EngineError) -> Response:
        log.error("engine failure: %s", exc)
        return json_response({"error": f"engine failure: {exc}"}, 500)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        return json_response({"error": "internal error; the server log has the details"}, 500)

    app.add_middleware(BodyLimit, max_body=max_body, read_timeout=read_timeout)
    return app
