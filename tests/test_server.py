"""The HTTP door: the same reports as the library, JSON errors for every bad request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

import guard
from guard.errors import EngineError
from guard.rules.loader import load_rules
from guard.server import Service, make_app
from guard.server.limits import json_bytes
from guard.server.models import LintRequest

PRODUCT = {"id": "P1", "category": "apparel", "name": "纯棉圆领T恤", "price": "59.00", "cover_width": 900,
           "description": "全网最好的T恤"}


@pytest.fixture(scope="module")
def service() -> Service:
    return Service(load_rules())


@pytest.fixture(scope="module")
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(make_app(service, max_body=64 * 1024)) as test_client:
        yield test_client


def call(client: TestClient, path: str, body: Any = None, method: str | None = None,
         raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
    response = client.request(method or ("POST" if data is not None else "GET"), path, content=data, headers=headers)
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()


def test_health_and_rules(client: TestClient) -> None:
    status, body = call(client, "/healthz")
    assert (status, body["status"], body["engine"]) == (200, "ok", "native")
    status, body = call(client, "/v1/rules")
    assert status == 200 and {"id": "ROOM-002", "name": "quick-bar-over-cap", "topic": "room", "tier": "general",
                              "platforms": ["wechat"]} in body["rules"]


def test_check_returns_the_library_report(client: TestClient) -> None:
    status, body = call(client, "/v1/check", {"products": [PRODUCT], "now": "2026-11-26T10:00:00"})
    expected = guard.check([PRODUCT], now=datetime.fromisoformat("2026-11-26T10:00:00+08:00"))
    assert status == 200
    assert body == json.loads(json.dumps(expected.to_dict(), ensure_ascii=False))
    assert {"LIST-007", "CONTENT-001"} <= {f["rule"] for f in body["findings"]}


def test_check_passes_every_part_of_the_catalog(client: TestClient) -> None:
    catalog = json.loads((Path(__file__).parents[1] / "examples" / "catalog.json").read_text(encoding="utf-8"))
    merchant = {"mode": "self_operated", "mini_program_categories": ["apparel", "home"]}
    request = {**catalog, "merchant": merchant, "platform": "douyin", "lang": "en", "now": "2026-11-26T10:00:00+08:00"}
    status, body = call(client, "/v1/check", request)
    expected = guard.check(catalog["products"], merchant=merchant, promotions=catalog["promotions"],
                           live_rooms=catalog["live_rooms"], platform="douyin", lang="en",
                           now=datetime.fromisoformat("2026-11-26T10:00:00+08:00"))
    assert (status, body) == (200, json.loads(json.dumps(expected.to_dict(), ensure_ascii=False)))
    assert {"merchant", "product", "promotion", "live_room"} <= set(body["summary"]["by_kind"])


def test_bad_records_are_problems_not_errors(client: TestClient) -> None:
    status, body = call(client, "/v1/check", {"products": [{**PRODUCT, "price": "1.001"}]})
    assert status == 200 and body["findings"] == []
    assert [p["path"] for p in body["problems"]] == ["$.price"]


def test_lint_with_offsets(client: TestClient) -> None:
    text = "大家好\n这款面霜可以消炎"
    status, body = call(client, "/v1/lint", {"text": text, "category": "cosmetics", "platform": "douyin", "lang": "en"})
    assert status == 200
    [finding] = body["findings"]
    assert (finding["rule"], finding["line"], text[finding["start"]:finding["end"]]) == ("CONTENT-002", 2, "消炎")
    assert (finding["platform"], finding["message"].startswith("Medical term")) == ("douyin", True)


@pytest.mark.parametrize(
    ("path", "body", "raw", "status", "message"),
    [
        ("/v1/lint", None, b"{not json", 400, "body is not JSON"),
        ("/v1/lint", None, b"", 400, "body is not JSON"),
        ("/v1/lint", None, b'{"text": "\xff"}', 400, "body is not JSON"),
        ("/v1/lint", [1], None, 400, "body must be a JSON object"),
        ("/v1/lint", {"txt": "x"}, None, 400, "unknown field(s) ['txt']; allowed: ['category', 'lang', 'platform', 'text']"),
        ("/v1/lint", {"text": 5}, None, 400, "text: Input should be a valid string"),
        ("/v1/lint", {"text": "x", "category": "martian"}, None, 400, "unknown category 'martian'"),
        ("/v1/lint", {"text": "x", "platform": "kuaishou"}, None, 400, "platform: Input should be 'wechat', 'douyin' or 'taobao'"),
        ("/v1/check", {"products": {"id": 1}}, None, 400, "products: Input should be a valid list"),
        ("/v1/check", {"products": [1]}, None, 400, "products.0: Input should be a valid dictionary"),
        ("/v1/check", {"products": [], "now": "yesterday"}, None, 400, "now: not an ISO time: 'yesterday'"),
        ("/v1/check", {"products": [], "now": 5}, None, 400, "now: an ISO time string or null is required"),
        ("/v1/lint", {"text": "x" * 70000}, None, 413, "body over 65536 bytes"),
        ("/nope", None, None, 404, "GET /nope is not served"),
    ],
)
def test_bad_requests(client: TestClient, path: str, body: Any, raw: bytes | None, status: int, message: str) -> None:
    got_status, got = call(client, path, body, raw=raw)
    assert got_status == status
    assert message in got["error"]


@pytest.mark.parametrize("depth", [1000, 30000])
def test_deeply_nested_json_is_a_400(client: TestClient, depth: int) -> None:
    status, body = call(client, "/v1/check", raw=b'{"products": ' + b"[" * depth + b"]" * depth + b"}")
    assert (status, body) == (400, {"error": "body is JSON nested too deeply"})


def test_nesting_the_parser_takes_is_checked_as_a_record(client: TestClient) -> None:
    nested = json.loads("[" * 500 + "]" * 500)
    status, body = call(client, "/v1/check", {"products": [{**PRODUCT, "extra": nested}]})
    assert status == 200 and [(p["path"], p["message"]) for p in body["problems"]] == [("$.extra", "unknown field")]


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/v1/check", "POST"), ("PUT", "/v1/check", "POST"), ("DELETE", "/v1/lint", "POST"),
    ("PATCH", "/v1/lint", "POST"), ("POST", "/healthz", "GET"), ("DELETE", "/v1/rules", "GET"),
])
def test_other_methods_are_a_json_405(client: TestClient, method: str, path: str, allowed: str) -> None:
    response = client.request(method, path, content=b"{}")
    assert (response.status_code, response.json()) == (405, {"error": f"{method} {path} is not served; allowed: {allowed}"})
    assert response.headers["allow"] == allowed


def test_openapi_describes_the_requests_and_reports(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert set(document["paths"]) == {"/healthz", "/v1/rules", "/v1/check", "/v1/lint", "/v1/categories", "/v1/catalog", "/v1/report"}
    assert "/v1/captions" in document["info"]["description"]  # a WebSocket has no path item; the description documents it
    schemas = document["components"]["schemas"]
    lint_body = document["paths"]["/v1/lint"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert lint_body == {"$ref": "#/components/schemas/LintRequest"}
    assert schemas["LintRequest"]["required"] == ["text"] and schemas["LintRequest"]["additionalProperties"] is False
    assert schemas["CheckRequest"]["properties"]["products"]["items"] == {"$ref": "#/components/schemas/Product"}
    assert {"id", "category", "name", "price"} <= set(schemas["Product"]["properties"])
    assert schemas["Product"]["properties"]["qualifications"]["items"] == {"$ref": "#/components/schemas/Qualification"}
    ok = document["paths"]["/v1/check"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/ReportOut"}
    assert set(document["paths"]["/v1/check"]["post"]["responses"]) >= {"200", "400", "413", "503"}


def test_docs_page_loads_the_openapi_document(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and "/openapi.json" in response.text


class GatedService(Service):
    """Lint blocks until released, so a test can hold a worker busy."""

    def __init__(self, ruleset: Any) -> None:
        super().__init__(ruleset)
        self.entered = threading.Event()
        self.release = threading.Event()

    def lint(self, request: LintRequest) -> dict[str, Any]:
        self.entered.set()
        self.release.wait(30)
        return super().lint(request)


def test_health_answers_while_a_lint_holds_the_only_worker_and_a_second_lint_is_told_to_retry() -> None:
    service = GatedService(load_rules())
    results: dict[str, Any] = {}
    with TestClient(make_app(service, max_concurrency=1, queue_timeout=0.2)) as client:
        first = threading.Thread(target=lambda: results.update(first=client.post("/v1/lint", json={"text": "消炎"})))
        first.start()
        try:
            assert service.entered.wait(10)
            health = threading.Thread(target=lambda: results.update(health=client.get("/healthz")))
            health.start()
            health.join(10)
            assert not health.is_alive() and results["health"].status_code == 200
            second = client.post("/v1/lint", json={"text": "x"})
            assert (second.status_code, second.headers["retry-after"]) == (503, "1")
            assert second.json() == {"error": "busy: 1 requests are being served; try again"}
            assert "first" not in results
        finally:
            service.release.set()
            first.join(30)
        assert results["first"].status_code == 200 and results["first"].json()["findings"]
        assert client.post("/v1/lint", json={"text": "x"}).status_code == 200


class FailingService(Service):
    def __init__(self, ruleset: Any, error: Exception) -> None:
        super().__init__(ruleset)
        self.error = error

    def lint(self, request: LintRequest) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(("error", "status", "message"), [
    (RuntimeError("boom at /srv/secret.py line 3"), 500, "internal error; the server log has the details"),
    (EngineError("durable lost a fact"), 500, "engine failure: durable lost a fact"),
    (ValueError("unknown platform 'x'"), 400, "unknown platform 'x'"),
    (RecursionError("maximum recursion depth exceeded"), 400, "a record is nested too deeply"),
])
def test_library_failures_are_json_without_a_traceback(error: Exception, status: int, message: str) -> None:
    app = make_app(FailingService(load_rules(), error))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/lint", json={"text": "x"})
    assert (response.status_code, response.json()) == (status, {"error": message})


@pytest.fixture(scope="module")
def keyed(service: Service) -> Iterator[TestClient]:
    with TestClient(make_app(service, api_key="s3cret-key")) as test_client:
        yield test_client


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "s3cret"}, {"Authorization": "s3cret-key"},
    {"X-API-Key": "wrong", "Authorization": "Bearer s3cret-key"},
])
@pytest.mark.parametrize("path", ["/v1/lint", "/v1/rules"])
def test_with_a_key_requests_without_it_are_a_json_401(keyed: TestClient, headers: dict[str, str], path: str) -> None:
    response = keyed.request("POST" if path == "/v1/lint" else "GET", path, json={"text": "x"}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": "an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>"}


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer s3cret-key"}, {"X-API-Key": "s3cret-key"}])
def test_with_a_key_requests_with_it_are_served(keyed: TestClient, headers: dict[str, str]) -> None:
    assert keyed.post("/v1/lint", json={"text": "x"}, headers=headers).status_code == 200
    assert keyed.get("/v1/rules", headers=headers).status_code == 200


def test_with_a_key_health_and_docs_stay_open(keyed: TestClient) -> None:
    assert keyed.get("/healthz").status_code == 200
    document = keyed.get("/openapi.json").json()
    assert {"HTTPBearer", "APIKeyHeader"} <= set(document["components"]["securitySchemes"])


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=12)


@given(st.dictionaries(st.text(), st.lists(JSON, max_size=4) | JSON, max_size=5) | JSON)
def test_reports_are_encoded_as_json_dumps_would(payload: Any) -> None:
    assert json_bytes(payload) == json.dumps(payload, ensure_ascii=False).encode("utf-8")
