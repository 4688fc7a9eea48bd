"""The monitor on Flink against guard monitor replay: events/s, wall and CPU seconds, same stream.

    .venv-flink/bin/python bench/bench_flink.py [--count 200000] [--parallelism 1,2]

Both run as subprocesses of this interpreter (it needs the flink extra: make test builds
.venv-flink). CPU seconds are summed over each run's whole process tree (the Flink job's JVM and
its Python workers included), read from /proc while it runs. A run over a 50-event file measures
the job's fixed cost (JVM and mini-cluster start, Python workers, the last checkpoint); the rest
is the per-event cost. The findings of both are compared (sorted, without seq). Last, the same
topology with operators that only pass records on (and then also read and write one keyed value
each) shows what the Python-JVM bridge and keyed state cost without any of guard's work.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_events import generate  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds of ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in cpu:
            seen[pid] = cpu[pid]
        stack.extend(children.get(pid, []))


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of a command and every process it starts."""
    seen: dict[int, float] = {}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            _tree_cpu(process.pid, seen)
            done.wait(0.25)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, err = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    poller.join()
    if process.returncode not in (0, 1, 2):
        raise SystemExit(f"{command[:4]} failed ({process.returncode}):\n{err.decode()[-2000:]}")
    return wall, sum(seen.values()), err.decode()


def probe(path: str, with_state: bool) -> None:
    """The job's topology (route, product, order) with operators that only pass records on, and
    optionally read and write one keyed value each: what the Python-JVM bridge costs per event."""
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream import KeyedProcessFunction
    from pyflink.datastream.state import ValueStateDescriptor

    from guard.stream import flink

    class Pass(KeyedProcessFunction):  # type: ignore[misc]
        def open(self, runtime_context: Any) -> None:
            self.state = runtime_context.get_state(ValueStateDescriptor("s", Types.PICKLED_BYTE_ARRAY()))

        def process_element(self, value: Any, ctx: Any) -> Any:
            if with_state:
                self.state.value()
                self.state.update(value)
            yield value

    env = flink.environment()
    rows = env.from_collection(flink.prepare(path).rows,
                               type_info=Types.TUPLE([Types.INT(), Types.LONG(), *[Types.STRING()] * 6]))
    timed_rows = rows.assign_timestamps_and_watermarks(
        WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(flink.EventTime()))
    pickled = Types.PICKLED_BYTE_ARRAY()
    routed = timed_rows.key_by(lambda row: 0, key_type=Types.INT()).process(Pass(), output_type=pickled)
    products = routed.key_by(lambda row: row[5] or row[6], key_type=Types.STRING()).process(Pass(), output_type=pickled)
    orders = products.key_by(lambda row: row[4] or row[6], key_type=Types.STRING()).process(Pass(), output_type=pickled)
    orders.map(lambda row: str(row[0]), output_type=Types.STRING()).sink_to(
        flink.file_sink(Path(tempfile.mkdtemp()) / "probe"))
    env.execute("bridge probe")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--parallelism", default="1,2", help="comma-separated parallelisms of the keyed operators")
    parser.add_argument("--no-probe", action="store_true", help="skip the runs of the empty topology")
    parser.add_argument("--probe", choices=("pass", "state"), help=argparse.SUPPRESS)
    parser.add_argument("--events", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.events, args.probe == "state")
        return
    from guard.stream import flink

    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        events, tiny = work / "events.jsonl", work / "tiny.jsonl"
        lines = generate(args.count)
        events.write_text("\n".join(lines) + "\n", "utf-8")
        tiny.write_text("\n".join(lines[:50]) + "\n", "utf-8")
        print(f"{args.count} events ({events.stat().st_size / 1e6:.1f} MB); {os.cpu_count()} cores; "
              f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        replay_out = work / "replay.jsonl"
        wall, cpu, _ = timed([python, "-m", "guard.cli", "monitor", "replay", str(events), "--db", str(work / "m.db"),
                           "--output", str(replay_out), "--no-progress"])
        print(f"replay:                 {wall:7.1f} s wall {cpu:7.1f} s CPU  {args.count / wall:9,.0f} events/s")
        expected = flink.comparable(replay_out.read_text("utf-8").splitlines())
        fixed, fixed_cpu, _ = timed([python, "-m", "guard.stream", str(tiny), "--output", str(work / "tiny")])
        print(f"flink, 50 events:       {fixed:7.1f} s wall {fixed_cpu:7.1f} s CPU  (the fixed cost)")
        for parallelism in (int(p) for p in args.parallelism.split(",")):
            out = work / f"flink-{parallelism}"
            wall, cpu, err = timed([python, "-m", "guard.stream", str(events), "--output", str(out),
                                                "--parallelism", str(parallelism)])
            got = flink.comparable(flink.read_lines(out / "outputs"))
            same = "same findings" if got == expected else f"DIFFERENT findings ({len(got)} against {len(expected)}): {err.strip().splitlines()[-1:]}"
            per_event = args.count / max(wall - fixed, 1e-9)
            print(f"flink, parallelism {parallelism}:  {wall:7.1f} s wall {cpu:7.1f} s CPU  {args.count / wall:9,.0f} "
                  f"events/s; {per_event:,.0f} events/s past the fixed cost; "
                  f"{(cpu - fixed_cpu) / args.count * 1e6:.0f} us CPU per event past it; {same}")
        for mode, label in () if args.no_probe else (("pass", "empty operators"),
                                                      ("state", "empty operators + 1 state read/write each")):
            wall, cpu, _ = timed([python, __file__, "--probe", mode, "--events", str(events)])
            print(f"same topology, {label}: {wall:6.1f} s wall {cpu:6.1f} s CPU; "
                  f"{(cpu - fixed_cpu) / args.count * 1e6:.0f} us CPU per event past the fixed cost")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
