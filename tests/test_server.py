"""The HTTP door: the same reports as the library, clear errors for bad requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

import guard
from guard.rules.loader import load_rules
from guard.server import Service, make_server, serve_in_thread


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, Service(load_rules()), max_body=64 * 1024)
    serve_in_thread(server)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


def call(url: str, body: Any = None, method: str | None = None, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


PRODUCT = {"id": "P1", "category": "apparel", "name": "纯棉圆领T恤", "price": "59.00", "cover_width": 900,
           "description": "全网最好的T恤"}


def test_health_and_rules(base_url: str) -> None:
    status, body = call(f"{base_url}/healthz")
    assert (status, body["status"], body["engine"]) == (200, "ok", "native")
    status, body = call(f"{base_url}/v1/rules")
    assert status == 200 and {"id": "ROOM-002", "name": "quick-bar-over-cap", "topic": "room", "tier": "general",
                              "platforms": ["wechat"]} in body["rules"]


def test_check_returns_the_library_report(base_url: str) -> None:
    status, body = call(f"{base_url}/v1/check", {"products": [PRODUCT], "now": "2026-11-26T10:00:00"})
    expected = guard.check([PRODUCT], now=__import__("datetime").datetime.fromisoformat("2026-11-26T10:00:00+08:00"))
    assert status == 200
    assert body == json.loads(json.dumps(expected.to_dict(), ensure_ascii=False))
    assert {"LIST-007", "CONTENT-001"} <= {f["rule"] for f in body["findings"]}


def test_bad_records_are_problems_not_errors(base_url: str) -> None:
    status, body = call(f"{base_url}/v1/check", {"products": [{**PRODUCT, "price": "1.001"}]})
    assert status == 200 and body["findings"] == []
    assert [p["path"] for p in body["problems"]] == ["$.price"]


def test_lint_with_offsets(base_url: str) -> None:
    text = "大家好\n这款面霜可以消炎"
    status, body = call(f"{base_url}/v1/lint", {"text": text, "category": "cosmetics", "platform": "douyin", "lang": "en"})
    assert status == 200
    [finding] = body["findings"]
    assert (finding["rule"], finding["line"], text[finding["start"]:finding["end"]]) == ("CONTENT-002", 2, "消炎")


@pytest.mark.parametrize(
    ("path", "body", "raw", "status", "message"),
    [
        ("/v1/lint", None, b"{not json", 400, "body is not JSON"),
        ("/v1/lint", [1], None, 400, "body must be a JSON object"),
        ("/v1/lint", {"txt": "x"}, None, 400, "unknown field(s) ['txt']"),
        ("/v1/lint", {"text": 5}, None, 400, "text: a string is required"),
        ("/v1/lint", {"text": "x", "category": "martian"}, None, 400, "unknown category 'martian'"),
        ("/v1/lint", {"text": "x", "platform": "kuaishou"}, None, 400, "platform: one of"),
        ("/v1/check", {"products": {"id": 1}}, None, 400, "products: a list of objects is required"),
        ("/v1/check", {"products": [], "now": "yesterday"}, None, 400, "now: not an ISO time"),
        ("/v1/lint", {"text": "x" * 70000}, None, 413, "body over 65536 bytes"),
        ("/nope", None, None, 404, "GET /nope is not served"),
    ],
)
def test_bad_requests(base_url: str, path: str, body: Any, raw: bytes | None, status: int, message: str) -> None:
    got_status, got = call(f"{base_url}{path}", body, raw=raw)
    assert got_status == status
    assert message in got["error"]


def test_wrong_method(base_url: str) -> None:
    assert call(f"{base_url}/v1/check")[0] == 405


def test_serve_command_starts_and_answers() -> None:
    import re
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from guard.cli import run; sys.argv[0] = 'guard'; run()",
         "serve", "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline() if process.stderr else ""
        match = re.search(r"http://[\d.]+:\d+", line)
        assert match, line
        status, body = call(f"{match.group()}/healthz")
        assert (status, body["status"]) == (200, "ok")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
