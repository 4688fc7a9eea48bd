"""Caption lines over the WebSocket (/v1/captions): latency per 80-character line with many streams open.

A `guard serve` subprocess on 127.0.0.1; N streams (default 50) connect, then each sends a caption
line every --interval seconds (default 0.2: five times faster than a host speaks), waiting for each
answer, as a captioning tool sends a live's speech. The round trip of every line is timed.
`--interval 0` sends back to back instead: the server's throughput, where queueing sets the latency. Side by side, the same lines linted in-process (Linter.line),
so the ratio shows what the socket and the server add to linting itself.

    python bench/bench_captions.py [--streams 50] [--lines 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from bench_serve import GUARD, Server  # noqa: E402

LINES = [  # 80 characters each, as a captioning tool cuts a host's speech
    ("家人们，这款面霜是全网最低价，用了可以消炎祛痘，今天下单再送小样，赶紧拍！" * 3)[:80],
    ("大家好欢迎来到直播间，今天给大家带来的是我们家的羊毛围巾，颜色有灰色和驼色两种，" * 3)[:80],
    ("尺码从S到XXL都有，身高一米六五体重一百斤左右的姐妹选M码就可以，不确定的可以问客服" * 3)[:80],
]


async def stream(host: str, port: int, lines: int, interval: float, offset: float, latencies: list[float],
                 errors: list[str], go: asyncio.Event) -> None:
    import websockets

    try:
        async with websockets.connect(f"ws://{host}:{port}/v1/captions?category=cosmetics&platform=douyin",
                                      max_size=2**24) as socket:
            await go.wait()
            loop = asyncio.get_running_loop()
            begin = loop.time() + offset  # streams are not in step; each keeps its own clock, so they never bunch up
            for number in range(lines):
                if interval:
                    await asyncio.sleep(max(0.0, begin + number * interval - loop.time()))
                start = time.perf_counter()
                await socket.send(LINES[number % len(LINES)])
                answer = json.loads(await socket.recv())
                latencies.append(time.perf_counter() - start)
                if answer.get("line") != number + 1:
                    errors.append(f"out of order: {answer.get('line')} for {number + 1}")
    except Exception as exc:  # a reset or refused stream is counted, not raised
        errors.append(f"{type(exc).__name__}: {exc}")


async def run(host: str, port: int, streams: int, lines: int, interval: float) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    go = asyncio.Event()
    tasks = [asyncio.create_task(stream(host, port, lines, interval, interval * i / streams, latencies, errors, go))
             for i in range(streams)]
    await asyncio.sleep(1.0)  # every stream connected and waiting
    start = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return latencies, errors, time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


def in_process(lines: int) -> list[float]:
    from guard.lint import Linter

    linter = Linter()
    for line in LINES * 20:
        linter.line(line, 1, category="cosmetics", platform="douyin")
    costs = []
    for number in range(lines):
        start = time.perf_counter()
        linter.line(LINES[number % len(LINES)], number + 1, category="cosmetics", platform="douyin")
        costs.append(time.perf_counter() - start)
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--lines", type=int, default=200, help="lines per stream")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between one stream's lines (0: back to back)")
    args = parser.parse_args()
    server = Server(GUARD)
    try:
        latencies, errors, seconds = asyncio.run(run(server.host, server.port, args.streams, args.lines, args.interval))
    finally:
        server.stop()
    local = in_process(args.streams * args.lines)
    pace = f"a line every {args.interval:g} s each" if args.interval else "back to back"
    print(f"{args.streams} streams x {args.lines} lines of 80 characters, {pace}, over ws://127.0.0.1 (one guard serve process)")
    print(f"  round trip per line: p50 {percentile(latencies, 0.5):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms, "
          f"max {max(latencies) * 1000:.2f} ms; {len(latencies) / seconds:,.0f} lines/s; errors {len(errors)}")
    print(f"  in-process Linter.line on the same lines: p50 {percentile(local, 0.5):.3f} ms, p99 {percentile(local, 0.99):.3f} ms")
    print(f"  p99 {'within' if percentile(latencies, 0.99) <= 5 else 'ABOVE'} the 5 ms budget"
          + (f"; first errors: {errors[:3]}" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
