"""The door on a real socket: body limits however the body arrives, slow clients, queues and ports."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from guard.cli import main
from guard.rules.loader import load_rules
from guard.server import Service, ServeError, api_key_for, is_loopback, listen, make_app, server_for, settle
from guard.server.limits import BodyLimit, Refused


@pytest.fixture(scope="module")
def service() -> Service:
    return Service(load_rules())


@contextmanager
def running(service: Service, *, read_timeout: float = 30.0, max_connections: int = 1024,
            max_body: int = 4096) -> Iterator[int]:
    """uvicorn serving ``service`` on a free loopback port, in a thread; yields the port."""
    sock = listen("127.0.0.1", 0)
    server = server_for(make_app(service, max_body=max_body, read_timeout=read_timeout), read_timeout=read_timeout,
                        max_connections=max_connections, access_log=False)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert server.started
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=15)


def read_until_closed(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_one(conn: socket.socket) -> bytes:
    """One response on a kept-alive connection: its head and Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    length = int(re.search(rb"content-length: (\d+)", data, re.IGNORECASE)[1])  # type: ignore[index]
    while len(data.partition(b"\r\n\r\n")[2]) < length:
        data += conn.recv(65536)
    return data


def parse(response: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], Any]:
    with connect(port) as conn:
        conn.sendall(request)
        return parse(read_until_closed(conn))


def test_a_negative_content_length_is_a_json_400(service: Service) -> None:
    with running(service) as port:
        status, headers, body = exchange(port, b"POST /v1/lint HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n{}")
    assert (status, headers["content-type"], headers["connection"]) == (400, "application/json", "close")
    assert body == {"error": "not a valid HTTP/1.1 request: its request line, headers or framing"}


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_read(service: Service) -> None:
    with running(service) as port:
        status, headers, body = exchange(port, b"POST /v1/lint HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n")
    assert (status, headers["connection"], body) == (413, "close", {"error": "body over 4096 bytes (Content-Length 50000000)"})


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts)


def test_a_chunked_body_over_the_limit_is_a_json_413(service: Service) -> None:
    head = b"POST /v1/lint HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    with running(service) as port:  # 5 chunks of 1,000 bytes against a limit of 4,096: no Content-Length to check
        status, headers, body = exchange(port, head + chunked(*[b" " * 1000] * 5))
    assert (status, headers["connection"], body) == (413, "close", {"error": "body over 4096 bytes"})


def test_a_chunked_body_within_the_limit_is_served(service: Service) -> None:
    payload = json.dumps({"text": "这款面霜可以消炎", "category": "cosmetics"}).encode()
    head = b"POST /v1/lint HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    with running(service) as port:
        status, _, body = exchange(port, head + chunked(payload[:10], payload[10:]) + b"0\r\n\r\n")
    assert status == 200 and [f["rule"] for f in body["findings"]] == ["CONTENT-002"]


def test_a_body_that_stops_arriving_is_a_json_408_and_the_connection_closes(service: Service) -> None:
    with running(service, read_timeout=0.5) as port:
        status, headers, body = exchange(port, b"POST /v1/lint HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"te")
    assert (status, headers["connection"]) == (408, "close")
    assert body == {"error": "the request body did not arrive within 0.5 s"}


def test_a_body_trickling_in_has_one_deadline_for_all_of_it(service: Service) -> None:
    with running(service, read_timeout=0.6) as port, connect(port) as conn:
        conn.sendall(b"POST /v1/lint HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
        try:
            for _ in range(100):  # one byte every 0.2 s would take 20 s; each byte alone is in time
                conn.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            pass  # the server closed the connection
        status, _, body = parse(read_until_closed(conn))
    assert (status, body) == (408, {"error": "the request body did not arrive within 0.6 s"})


@pytest.mark.parametrize("sent", [b"", b"POST /v1/lint HTTP/1.1\r\nHost: t\r\n", b"GE"])
def test_a_client_that_stalls_before_its_headers_end_is_disconnected(service: Service, sent: bytes) -> None:
    with running(service, read_timeout=0.5) as port, connect(port) as conn:
        conn.sendall(sent)
        assert read_until_closed(conn) == b""


def test_the_header_deadline_applies_to_each_request_on_a_kept_alive_connection(service: Service) -> None:
    with running(service, read_timeout=0.3) as port, connect(port) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        first = parse(read_one(conn))
        time.sleep(0.6)  # longer than the deadline: an idle connection between requests is kept alive
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        rest = read_until_closed(conn)
    assert (first[0], first[2]["status"], rest) == (200, "ok", b"")


def test_over_the_connection_limit_the_answer_is_a_json_503(service: Service) -> None:
    with running(service, max_connections=1) as port, connect(port) as kept:
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert parse(read_one(kept))[0] == 200
        status, headers, body = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert (status, headers["retry-after"], body) == (503, "1", {"error": "over 1 connections; try again"})


class StallingService(Service):
    """Health blocks the event loop until released: nothing is accepted meanwhile."""

    def __init__(self, ruleset: Any) -> None:
        super().__init__(ruleset)
        self.entered = threading.Event()
        self.release = threading.Event()

    def health(self) -> dict[str, Any]:
        if not self.entered.is_set():
            self.entered.set()
            self.release.wait(60)
        return super().health()


@pytest.mark.slow
def test_the_listen_queue_holds_200_clients_while_the_server_is_busy() -> None:
    service = StallingService(load_rules())
    clients: list[socket.socket] = []
    with running(service) as port:
        blocker = connect(port)
        try:
            blocker.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            assert service.entered.wait(10)
            for _ in range(200):  # with a queue of 5 the kernel drops the rest of the handshakes: connect times out
                clients.append(connect(port))
            service.release.set()
            for conn in clients:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            statuses = {parse(read_until_closed(conn))[0] for conn in clients}
        finally:
            service.release.set()
            for conn in [blocker, *clients]:
                conn.close()
    assert statuses == {200}


class GatedService(Service):
    """Lint blocks until released."""

    def __init__(self, ruleset: Any) -> None:
        super().__init__(ruleset)
        self.release = threading.Event()

    def lint(self, request: Any) -> dict[str, Any]:
        self.release.wait(30)
        return super().lint(request)


def test_an_answer_slower_than_the_header_deadline_is_not_cut(service: Service) -> None:
    gated = GatedService(service.ruleset)
    with running(gated, read_timeout=0.3) as port:
        threading.Timer(1.0, gated.release.set).start()
        status, _, body = exchange(port, b'POST /v1/lint HTTP/1.1\r\nHost: t\r\nConnection: close\r\n'
                                         b'Content-Length: 12\r\n\r\n{"text": ""}')
    assert (status, body["findings"]) == (200, [])


def asgi(app: Any, headers: list[tuple[bytes, bytes]], messages: list[dict[str, Any]],
         then: float | None = None, path: str = "/") -> list[dict[str, Any]]:
    """Run one request through ``app`` with these body messages; after them, a disconnect ``then`` seconds on."""
    sent: list[dict[str, Any]] = []
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        if then is None:
            await anyio.sleep_forever()
        await anyio.sleep(then)  # type: ignore[arg-type]
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers, "query_string": b""}
    anyio.run(app, scope, receive, send)
    return sent


async def read_body(scope: Any, receive: Any, send: Any) -> None:
    """An application that reads the whole body, then answers 200 with its length."""
    body = b""
    while (message := await receive())["type"] == "http.request":
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


@pytest.mark.parametrize("length", [b"-1", b"+5", b"1e3", b" 5", b""])
def test_body_limit_refuses_a_content_length_that_is_not_a_count(length: bytes) -> None:
    sent = asgi(BodyLimit(read_body, max_body=10, read_timeout=5), [(b"content-length", length)],
                [{"type": "http.request", "body": b"{}"}])
    assert sent[0]["status"] == 400 and (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"].startswith("Content-Length must be a non-negative integer")


@pytest.mark.parametrize(("sizes", "answer"), [((4, 6), b"10"), ((10,), b"10"), ((6, 5), None), ((11,), None)])
def test_body_limit_counts_the_bytes_of_every_part(sizes: tuple[int, ...], answer: bytes | None) -> None:
    messages = [{"type": "http.request", "body": b"x" * size, "more_body": i < len(sizes) - 1}
                for i, size in enumerate(sizes)]
    app = BodyLimit(read_body, max_body=10, read_timeout=5)
    if answer is None:
        with pytest.raises(Refused, match="body over 10 bytes"):
            asgi(app, [], messages)
    else:
        assert asgi(app, [], messages)[1]["body"] == answer


def test_body_limit_does_not_time_the_wait_after_the_body() -> None:
    async def wait_for_disconnect(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        assert (await receive())["type"] == "http.disconnect"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = asgi(BodyLimit(wait_for_disconnect, max_body=10, read_timeout=0.1), [],
                [{"type": "http.request", "body": b"{}"}], then=0.3)
    assert sent[0]["status"] == 204


def test_a_client_gone_before_its_body_is_logged_as_a_400_not_a_failure(service: Service) -> None:
    sent = asgi(make_app(service), [], [{"type": "http.request", "body": b'{"te', "more_body": True},
                                        {"type": "http.disconnect"}], path="/v1/lint")
    assert (sent[0]["status"], json.loads(sent[1]["body"])) == (
        400, {"error": "the client closed the connection before its body arrived"})


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_off_loopback_a_key_is_required(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="refusing to serve on 0.0.0.0 without an API key"):
        api_key_for("0.0.0.0", None, {})
    key_file = tmp_path / "key"
    key_file.write_text("  k3y\n", encoding="utf-8")
    assert api_key_for("0.0.0.0", str(key_file), {}) == "k3y"
    assert api_key_for("0.0.0.0", None, {"GUARD_API_KEY": "envk3y"}) == "envk3y"
    assert api_key_for("127.0.0.1", None, {}) is None
    assert api_key_for("127.0.0.1", None, {"GUARD_API_KEY": "envk3y"}) == "envk3y"
    key_file.write_text("\n", encoding="utf-8")
    with pytest.raises(ServeError, match="the file is empty"):
        api_key_for("127.0.0.1", str(key_file), {})
    with pytest.raises(ServeError, match="cannot read"):
        api_key_for("127.0.0.1", str(tmp_path / "missing"), {})


def run_guard(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from guard.cli import run; sys.argv[0] = 'guard'; run()", *args],
        stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_serve_refuses_a_public_address_without_a_key() -> None:
    import os

    env = {name: value for name, value in os.environ.items() if name != "GUARD_API_KEY"}
    process = run_guard("serve", "--host", "0.0.0.0", "--port", "0", env=env)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 2
    assert stderr == ("guard: refusing to serve on 0.0.0.0 without an API key: "
                      "give --api-key-file FILE or set GUARD_API_KEY (or bind 127.0.0.1)\n")


def test_a_busy_port_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert capsys.readouterr().err == f"guard: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def http(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


@pytest.mark.slow
def test_serve_command_starts_and_answers_with_its_key(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("k3y-from-file\n", encoding="utf-8")
    process = run_guard("serve", "--port", "0", "--api-key-file", str(key_file), "--max-body", "100",
                        "--read-timeout", "0.5")
    try:
        line = process.stderr.readline() if process.stderr else ""
        match = re.search(r"http://[\d.]+:\d+", line)
        assert match, line
        assert "API key required" in line
        status, body = http(f"{match.group()}/healthz")
        assert (status, body["status"]) == (200, "ok")
        assert http(f"{match.group()}/v1/rules")[0] == 401
        assert http(f"{match.group()}/v1/rules", {"Authorization": "Bearer k3y-from-file"})[0] == 200
        port = int(match.group().rsplit(":", 1)[1])
        over = exchange(port, b"POST /v1/lint HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n")
        assert over[::2] == (413, {"error": "body over 100 bytes (Content-Length 101)"})
        with connect(port) as stalled:
            assert read_until_closed(stalled) == b""
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_settle_takes_the_loaded_heap_out_of_collections(service: Service) -> None:
    import gc

    gc.unfreeze()
    assert any(obj is service.ruleset for obj in gc.get_objects())
    try:
        settle(service)
        assert not any(obj is service.ruleset for obj in gc.get_objects())  # frozen: no collection walks it
    finally:
        gc.unfreeze()
