"""Benchmark `guard serve` under concurrent clients on loopback, against a constant app on the same server.

    python bench/bench_serve.py [--requests 20] [--clients 50,200] [--big-mb 2]

Servers (each a fresh subprocess on 127.0.0.1, port 0):
- guard: `guard serve` as users start it (FastAPI, the rule set, access log on);
- baseline: the same uvicorn server, limits and access log, over an ASGI app that reads the body
  and answers a constant JSON object; the ratio (guard / baseline) is what the door and the
  library add on top of the HTTP server itself.

Clients: N asyncio clients connect at the same moment, then each sends `--requests` keep-alive
requests back to back: GET /healthz, or POST /v1/lint with one caption line (the live-script case
`--follow` handles one line at a time). Reported: p50 and p99 latency, throughput, and errors
(connection refused or reset, short reads, any status but 200), which must be 0: the script exits
1 otherwise. Last, /healthz latency with 10 clients while one `--big-mb` MB lint runs beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CAPTION = "家人们，这款面霜是全网最低价，用了可以消炎祛痘，今天下单再送小样，赶紧拍！"
GUARD = [sys.executable, "-c", "import sys; from guard.cli import run; sys.argv[0] = 'guard'; run()",
         "serve", "--port", "0"]
BASELINE = [sys.executable, str(Path(__file__).resolve()), "--baseline-server"]


async def constant_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: read the body, answer a constant."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    body = b'{"status": "ok"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def run_baseline_server() -> None:
    from guard.server import listen, server_for, url_of

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    sock = listen("127.0.0.1", 0)
    print(f"baseline: serving on {url_of(sock)}", file=sys.stderr, flush=True)
    server_for(constant_app, read_timeout=30.0).run(sockets=[sock])


class Server:
    """A server subprocess; its stderr (the access log) is drained so it never blocks."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        match = re.search(r"http://([\d.]+):(\d+)", line)
        if not match:
            self.process.kill()
            raise SystemExit(f"server did not start: {line!r}")
        self.host, self.port = match[1], int(match[2])
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


def request_bytes(host: str, path: str, payload: dict[str, Any] | None) -> bytes:
    if payload is None:
        return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    body = json.dumps(payload, ensure_ascii=False).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
    await reader.readexactly(int(length[1]) if length else 0)
    return int(head.split(b" ", 2)[1])


async def one_client(server: Server, request: bytes, count: int, run: Run, go: asyncio.Event) -> None:
    await go.wait()
    try:
        reader, writer = await asyncio.open_connection(server.host, server.port)
    except OSError as exc:
        run.errors[f"connect: {type(exc).__name__}"] += 1
        return
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(request)
            status = await read_response(reader)
            run.latencies.append(time.perf_counter() - started)
            if status != 200:
                run.errors[f"status {status}"] += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        run.errors[type(exc).__name__] += 1
    finally:
        writer.close()


async def load(server: Server, request: bytes, clients: int, count: int) -> Run:
    run, go = Run(), asyncio.Event()
    tasks = [asyncio.create_task(one_client(server, request, count, run, go)) for _ in range(clients)]
    await asyncio.sleep(0)
    started = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    run.seconds = time.perf_counter() - started
    return run


def big_request(server: Server, request: bytes, outcome: dict[str, Any]) -> None:
    """One request on a blocking socket, in a thread of its own: reading its big answer stalls no client."""
    started = time.perf_counter()
    with socket.create_connection((server.host, server.port)) as conn:
        conn.sendall(request)
        data = bytearray()
        while b"\r\n\r\n" not in data:
            data += conn.recv(1 << 20)
        head, _, body = bytes(data).partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)[1])  # type: ignore[index]
        received = len(body)
        while received < length and (chunk := conn.recv(1 << 20)):
            received += len(chunk)
    outcome.update(status=int(head.split(b" ", 2)[1]), seconds=time.perf_counter() - started)


async def health_beside_big_lint(server: Server, megabytes: float) -> tuple[Run, float]:
    text = "\n".join([CAPTION] * int(megabytes * 1e6 / len(CAPTION.encode())))
    outcome: dict[str, Any] = {}
    big = threading.Thread(target=big_request, args=(server, request_bytes(server.host, "/v1/lint", {"text": text}), outcome))
    big.start()
    health = request_bytes(server.host, "/healthz", None)
    runs = []
    await asyncio.sleep(0.2)  # the big body is read and its lint has started
    while big.is_alive():
        runs.append(await load(server, health, 10, 5))
    big.join()
    merged = Run([x for run in runs for x in run.latencies], sum((run.errors for run in runs), Counter()),
                 sum(run.seconds for run in runs))
    if outcome.get("status") != 200:
        merged.errors[f"big lint status {outcome.get('status')}"] += 1
    return merged, outcome.get("seconds", float("nan"))


def row(name: str, clients: int, guard: Run, baseline: Run | None) -> str:
    line = (f"{name:<10} {clients:>7} {len(guard.latencies):>8} {sum(guard.errors.values()):>6} "
            f"{guard.percentile(0.5):>8.2f} {guard.percentile(0.99):>8.2f} {len(guard.latencies) / guard.seconds:>8.0f}")
    if baseline is not None:
        line += (f" | {baseline.percentile(0.5):>8.2f} {baseline.percentile(0.99):>8.2f} "
                 f"{len(baseline.latencies) / baseline.seconds:>8.0f} | "
                 f"{guard.percentile(0.5) / baseline.percentile(0.5):>5.1f}x {guard.percentile(0.99) / baseline.percentile(0.99):>5.1f}x")
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20, help="requests per client (default 20)")
    parser.add_argument("--clients", default="50,200", help="concurrent clients, comma-separated (default 50,200)")
    parser.add_argument("--big-mb", type=float, default=2.0, help="size of the big lint beside /healthz (default 2)")
    parser.add_argument("--baseline-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        run_baseline_server()
        return 0
    levels = [int(n) for n in args.clients.split(",")]
    scenarios = [("/healthz", None), ("/v1/lint", {"text": CAPTION, "category": "cosmetics", "platform": "douyin"})]
    results: dict[tuple[str, str, int], Run] = {}
    servers = {"baseline": Server(BASELINE), "guard": Server(GUARD)}
    try:  # the two servers take turns at each load, so both see the same machine
        for path, payload in scenarios:
            for server in servers.values():
                asyncio.run(load(server, request_bytes(server.host, path, payload), 10, 5))  # warm-up
            for clients in levels:
                for name, server in servers.items():
                    request = request_bytes(server.host, path, payload)
                    results[(name, path, clients)] = asyncio.run(load(server, request, clients, args.requests))
        servers["baseline"].stop()
        beside, lint_seconds = asyncio.run(health_beside_big_lint(servers["guard"], args.big_mb))
    finally:
        for server in servers.values():
            server.stop()
    print(f"guard serve on loopback: {args.requests} keep-alive requests per client; latency in ms")
    print(f"{'':<10} {'clients':>7} {'requests':>8} {'errors':>6} {'p50':>8} {'p99':>8} {'req/s':>8} |"
          f" {'base p50':>8} {'base p99':>8} {'req/s':>8} | ratio p50 / p99")
    errors: Counter[str] = Counter()
    for path, _ in scenarios:
        for clients in levels:
            guard, baseline = results[("guard", path, clients)], results[("baseline", path, clients)]
            print(row(path, clients, guard, baseline))
            errors += guard.errors + baseline.errors
    print(row("/healthz", 10, beside, None) + f"   beside one {args.big_mb:g} MB lint ({lint_seconds:.1f} s)")
    errors += beside.errors
    print(f"errors (resets, refused connections, short reads, non-200): {dict(errors) or 0}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
