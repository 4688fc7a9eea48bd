"""The page's routes: the page itself, categories, catalog uploads, the post-live report, caption WebSocket."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from starlette.websockets import WebSocketDisconnect

from guard.cli import main
from guard.rules.loader import load_rules
from guard.server import Service, make_app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("monitor") / "live.db"
    main(["monitor", "replay", str(EXAMPLES / "events.jsonl"), "--db", str(path), "--until", "2026-11-28T00:00:00+08:00"])
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(make_app(Service(load_rules(), db=db), max_body=4 * 1024 * 1024)) as test_client:
        yield test_client


def test_the_page_and_its_assets_are_served_from_the_package_with_no_network(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/static/app.js" in page.text and "http" not in page.text.replace("http-equiv", "")
    for name, kind in (("app.js", "javascript"), ("app.css", "css")):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"] and "http://" not in asset.text
    missing = client.get("/static/../pyproject.toml")
    assert missing.status_code == 404 and "error" in missing.json()


def test_categories(client: TestClient) -> None:
    categories = client.get("/v1/categories").json()["categories"]
    assert {"id": "cosmetics", "zh": "普通化妆品", "group": "cosmetics"} in categories


def test_a_catalog_upload_is_checked_like_the_command_and_names_the_merchant_s_file(client: TestClient) -> None:
    body = (EXAMPLES / "exports" / "shop-export.csv").read_bytes()
    report = client.post("/v1/catalog?name=shop-export.csv&now=2026-11-26T10:00:00%2B08:00", content=body).json()
    assert report["summary"]["rejected"] == 0 and {f["rule"] for f in report["findings"]} >= {"PRICE-007", "CONTENT-001"}
    assert all(w["file"] == "shop-export.csv" for w in report["warnings"])
    assert report["findings"] and all(f["file"] == "shop-export.csv" for f in report["findings"])  # not the server's path
    workbook = client.post("/v1/catalog?name=shop-export.csv&format=xlsx&now=2026-11-26T10:00:00%2B08:00", content=body)
    assert workbook.status_code == 200 and "spreadsheetml" in workbook.headers["content-type"]
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    assert sheet.max_row == len(report["findings"]) + 1


@pytest.mark.parametrize(("query", "body", "fragment"), [
    ("name=catalog.exe", b"MZ", "unknown file type"),
    ("name=broken.json", b"{not json", "malformed JSON"),
    ("name=x.csv&now=soon", b"a,b", "not an ISO time"),
    ("", b"[]", "name"),
])
def test_a_bad_upload_is_a_json_400(client: TestClient, query: str, body: bytes, fragment: str) -> None:
    answer = client.post(f"/v1/catalog?{query}", content=body)
    assert answer.status_code in (400, 422) and fragment in json.dumps(answer.json(), ensure_ascii=False)


def test_the_post_live_report_joins_the_upload_with_the_server_s_database(client: TestClient) -> None:
    body = (EXAMPLES / "metrics" / "LR-20261126.xlsx").read_bytes()
    answer = client.post("/v1/report?name=LR-20261126.xlsx", content=body)
    assert answer.status_code == 200
    result = answer.json()
    assert result["html"].startswith("<!doctype html>") and "data-chart='sku-conversion'" in result["html"]
    assert {a["rule"] for a in result["report"]["advice"]} >= {"METRIC-001", "METRIC-002"}


def test_without_a_database_the_report_says_how_to_get_one() -> None:
    with TestClient(make_app(Service(load_rules()))) as bare:
        answer = bare.post("/v1/report?name=m.csv", content=b"x")
    assert answer.status_code == 400 and "--db" in answer.json()["error"]


def test_caption_lines_come_back_in_order_with_their_findings(client: TestClient) -> None:
    with client.websocket_connect("/v1/captions?category=cosmetics&platform=douyin") as socket:
        for line in ("大家好，欢迎来到直播间", "这款面霜是全网最好的", "x" * 5000, "可以消炎祛痘"):
            socket.send_text(line)
        answers = [json.loads(socket.receive_text()) for _ in range(4)]
    assert [a["line"] for a in answers] == [1, 2, 3, 4]
    assert answers[0]["findings"] == [] and "error" in answers[2]
    assert {f["rule"] for f in answers[1]["findings"]} == {"CONTENT-001"}
    assert answers[1]["findings"][0]["matched"] == "全网最好"
    assert {f["rule"] for f in answers[3]["findings"]} >= {"CONTENT-002"}


def test_the_caption_socket_requires_the_key_when_the_server_has_one() -> None:
    with TestClient(make_app(Service(load_rules()), api_key="s3cret")) as keyed:
        with pytest.raises(WebSocketDisconnect) as refused:
            with keyed.websocket_connect("/v1/captions") as socket:
                socket.receive_text()
        assert refused.value.code == 4401
        with keyed.websocket_connect("/v1/captions?key=s3cret") as socket:
            socket.send_text("最好的")
            assert json.loads(socket.receive_text())["line"] == 1
        assert keyed.get("/v1/categories").status_code == 401
        assert keyed.get("/").status_code == 200  # the page itself is open; its calls carry the key


def test_an_unknown_category_closes_the_socket_with_the_reason(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/v1/captions?category=面霜") as socket:
            socket.receive_text()
    assert refused.value.code == 4400


def test_uploads_share_the_bound_on_heavy_work() -> None:
    """With one worker busy on an upload, the next upload waits the queue timeout and gets 503."""
    import threading

    started, release = threading.Event(), threading.Event()

    class Slow(Service):
        def catalog(self, *args: object) -> dict[str, object]:  # type: ignore[override]
            started.set()
            release.wait(10)
            return {"findings": []}

    with TestClient(make_app(Slow(load_rules()), max_concurrency=1, queue_timeout=0.3)) as slow:
        first: list[int] = []
        worker = threading.Thread(target=lambda: first.append(slow.post("/v1/catalog?name=a.csv", content=b"x").status_code))
        worker.start()
        assert started.wait(10)  # the first upload holds the only worker
        busy = slow.post("/v1/catalog?name=b.csv", content=b"x")
        release.set()
        worker.join(10)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1" and first == [200]
