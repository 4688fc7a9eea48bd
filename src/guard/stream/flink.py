"""The monitor's rules on Apache Flink (PyFlink): keyed state, event-time timers for deadlines.

    guard monitor flink events.jsonl --output out/ [--parallelism 2] [--lateness 60] [--until TIME]
    python -m guard.stream events.jsonl --output out/           # the same job (also: flink run -py this file)

The findings and actions are the records ``guard monitor replay --format jsonl`` gives for the same
file (without ``seq``: a parallel job has no single order), written as JSON lines under
``out/outputs``; events that cannot be applied (an unknown order, a second order_created) are
under ``out/problems`` as ``{"line": N, "problem": ...}``.

The job is three keyed operators. Each runs the monitor's own code (``Monitor.process`` and
``Monitor.advance``) on the part of the state its key owns; that part lives in Flink's keyed
state as the monitor's checkpoint (``guard.monitor.state.snapshot``):

- route (one key, parallelism 1) fixes the arrival order, as one monitor reads its input: it drops
  duplicates, moves the watermark (the latest event time seen), remembers each order's product,
  and with ``lateness`` holds an order's events until its order_created arrives. Every event
  leaves it with the watermark as it stood before the event.
- product (keyed by product; room events by room) keeps stock, marked and paid prices and rooms.
  order_created passes here for the stock and the 7-day low and goes on with the stock before it.
- order (keyed by order) keeps the order and its SLAs; each deadline is an event-time timer.

Why by product first: an order's stock finding reads its product's stock, which every order of the
product changes, so the stock is applied in arrival order under one key. Every event of one order
takes the same path (route, its product's task, its order's task), and Flink keeps the order of
records on each channel, so an order's events reach its task in arrival order.

Timers: the monitor fires a deadline due at D once its watermark minus ``lateness`` reaches D. With
monotonous timestamps Flink's watermark is the latest event time minus 1 ms, so the timer is at
(D + lateness) s - 1 ms. Flink's watermark is periodic and lags the events; an arriving event
carries the monitor's watermark, and the order task first fires what that watermark has passed,
so the findings do not depend on when Flink's watermark moves. A bounded input ends with a watermark
of +inf, but the monitor has then fired only what the last event's time (or ``until``) passed:
the job is told that time (``end``).

Differences from one monitor: route never forgets an event identity or an order's product, so
past the monitor's horizon (2 days without activity) a duplicate is still dropped and a late
order event still applied where the monitor would have forgotten them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from guard.errors import GuardError, InputFileError, RunnerUnavailable
from guard.monitor import events as ev
from guard.rules.loader import load_rules
from guard.stream.options import add_arguments, parse_time

try:
    from pyflink.common import Configuration, Encoder, Types, WatermarkStrategy
    from pyflink.common.watermark_strategy import TimestampAssigner
    from pyflink.datastream import KeyedProcessFunction, OutputTag, StreamExecutionEnvironment
    from pyflink.datastream.connectors.file_system import BucketAssigner, FileSink, OutputFileConfig
    from pyflink.datastream.state import MapStateDescriptor, ValueStateDescriptor
    from py4j.protocol import Py4JJavaError
except ImportError:
    raise RunnerUnavailable("the Flink job needs the flink extra: pip install 'guard[flink]' "
                            "(pyflink is not installed here)") from None

ROOM_EVENTS = frozenset({"room_created", "room_started", "room_ended", "product_imported", "quick_bar_added",
                         "quick_bar_removed", "product_delisted"})
PRODUCT_EVENTS = frozenset({"price_changed", "stock_changed"})
END_OF_INPUT = 2**63 - 1  # Flink's last watermark of a bounded input
PROBLEMS = OutputTag("problems", Types.STRING())
OUTPUTS = OutputTag("outputs", Types.STRING())

# An input row: (line, at, key, type, order, product, room, raw line)
Row = tuple[int, int, str, str, str, str, str, str]
# What route sends on: (kind, product key, order key, watermark before, line, at, key, type, raw, stock before)
# kind: "event"; "orphan" (its order is unknown: a problem); "order_only" (a second order_created)
Routed = tuple[str, str, str | None, int | None, int, int, str, str, str, int | None]


@dataclass(frozen=True)
class Settings:
    """What every task needs to build its monitor (plain values: shipped to the Python workers)."""

    source: str = "<events>"
    lateness: int = 0
    lang: str = "zh"
    config: str | None = None
    end: int | None = None  # the monitor's watermark at the end of a bounded input, or --until if later

    def monitor(self, lateness: int | None = None) -> Any:
        from guard.engine import make_engine
        from guard.monitor.core import Monitor
        from guard.monitor.run import monitor_rules

        ruleset = monitor_rules(load_rules(config=self.config))
        return Monitor(ruleset, make_engine(ruleset, "native"), lang=self.lang,
                       lateness=self.lateness if lateness is None else lateness, source=self.source)


@dataclass
class Prepared:
    """A file read for the job: its valid events as rows, its invalid lines, and where its time ends."""

    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    end: int | None = None


def parse_line(raw: str, line: int) -> Row | str:
    """One JSON line as a row for the job, or why it is invalid (the message replay gives)."""
    from guard.monitor.run import invalid_reason

    try:
        event = ev.parse_event(raw)
    except ValidationError as exc:
        return invalid_reason(exc)
    return (line, ev.epoch(event.at), ev.event_key(event, raw), event.type, getattr(event, "order", ""),
            getattr(event, "product", ""), getattr(event, "room", ""), raw.strip())


def prepare(path: str | Path) -> Prepared:
    """Read an event file: rows in file order, problems for invalid lines, and the final watermark."""
    prepared = Prepared()
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            parsed = parse_line(raw, number)
            if isinstance(parsed, str):
                prepared.problems.append((number, parsed))
                continue
            prepared.rows.append(parsed)
            if parsed[2] not in seen:  # a duplicate does not move the monitor's watermark
                seen.add(parsed[2])
                prepared.end = parsed[1] if prepared.end is None else max(prepared.end, parsed[1])
    return prepared


class EventTime(TimestampAssigner):  # type: ignore[misc]
    def extract_timestamp(self, value: Row, record_timestamp: int) -> int:
        return value[1] * 1000


def _emit(monitor: Any, outputs: list[Any]) -> Iterator[Any]:
    """The monitor's outputs and problems as the job's side outputs; per-event leftovers cleared."""
    for _, body, _ in outputs:
        yield OUTPUTS, json.dumps(body, ensure_ascii=False)
    for message, line in zip(monitor.problems, monitor.problem_lines):
        yield PROBLEMS, json.dumps({"line": line, "problem": message}, ensure_ascii=False)
    monitor.problems.clear()
    monitor.problem_lines.clear()
    monitor.price_log.clear()
    monitor.seen.clear()  # route drops duplicates; kept here they would only grow the state
    monitor.seen_order.clear()


class Route(KeyedProcessFunction):  # type: ignore[misc]
    """The arrival order: duplicates, the watermark, each order's product, held order events."""

    def __init__(self, lateness: int) -> None:
        self.lateness = lateness

    def open(self, runtime_context: Any) -> None:
        self.watermark = runtime_context.get_state(ValueStateDescriptor("watermark", Types.LONG()))
        self.seen = runtime_context.get_map_state(MapStateDescriptor("seen", Types.STRING(), Types.BOOLEAN()))
        self.products = runtime_context.get_map_state(MapStateDescriptor("product", Types.STRING(), Types.STRING()))
        self.held = runtime_context.get_map_state(
            MapStateDescriptor("held", Types.STRING(), Types.PICKLED_BYTE_ARRAY()))
        self.armed = False

    def process_element(self, row: Row, ctx: Any) -> Iterator[Routed]:
        line, at, key, kind, order, product, room, raw = row
        if self.seen.contains(key):
            return
        self.seen.put(key, True)
        if not self.armed:  # fires only at the end of a bounded input
            ctx.timer_service().register_event_time_timer(END_OF_INPUT - 1)
            self.armed = True
        before = self.watermark.value()
        if before is None or at > before:
            self.watermark.update(at)
            if self.lateness and not self.held.is_empty():
                yield from self._release(at - self.lateness)
        if kind in ROOM_EVENTS:
            yield ("event", f"room:{room}", None, before, line, at, key, kind, raw, None)
        elif kind in PRODUCT_EVENTS:
            yield ("event", f"product:{product}", None, before, line, at, key, kind, raw, None)
        elif kind == "order_created":
            known = self.products.get(order)
            if known is not None:  # created twice: the order's task reports it, the stock is not touched
                yield ("order_only", f"product:{known}", f"order:{order}", before, line, at, key, kind, raw, None)
                return
            self.products.put(order, product)
            yield ("event", f"product:{product}", f"order:{order}", before, line, at, key, kind, raw, None)
            if self.lateness and self.held.contains(order):
                after = at if before is None else max(before, at)
                for h_line, h_at, h_key, h_kind, _, _, _, h_raw in sorted(self.held.get(order), key=lambda item: item[1]):
                    yield ("event", f"product:{product}", f"order:{order}", after, h_line, h_at, h_key, h_kind, h_raw, None)
                self.held.remove(order)
        else:
            known = self.products.get(order)
            if known is not None:
                yield ("event", f"product:{known}", f"order:{order}", before, line, at, key, kind, raw, None)
            elif self.lateness:  # its order_created may still come within the lateness
                self.held.put(order, [*(self.held.get(order) or []), row])
            else:
                yield ("orphan", f"order:{order}", f"order:{order}", before, line, at, key, kind, raw, None)

    def _release(self, cutoff: int | None) -> Iterator[Routed]:
        """Held events whose order has not come by ``cutoff`` (all of them at the end): problems now."""
        for order, items in list(self.held.items()):
            if cutoff is not None and min(item[1] for item in items) >= cutoff:
                continue
            self.held.remove(order)
            for line, at, key, kind, _, _, _, raw in sorted(items, key=lambda item: item[1]):
                yield ("orphan", f"order:{order}", f"order:{order}", None, line, at, key, kind, raw, None)

    def on_timer(self, timestamp: int, ctx: Any) -> Iterator[Routed]:
        if self.lateness:
            yield from self._release(None)


class _MonitorTask(KeyedProcessFunction):  # type: ignore[misc]
    """A keyed task that runs one monitor over the state of whichever key an element belongs to."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open(self, runtime_context: Any) -> None:
        from guard.monitor.state import snapshot

        self.monitor = self.settings.monitor()
        self.empty = snapshot(self.monitor)
        self.state = runtime_context.get_state(ValueStateDescriptor("monitor", Types.PICKLED_BYTE_ARRAY()))

    def _load(self, fresh: bool = False) -> Any:
        """The monitor holding this key's state (``fresh``: a new key's, without a read of the state)."""
        from guard.monitor.state import restore

        restore(self.monitor, self.empty if fresh else self.state.value() or self.empty)
        return self.monitor

    def _save(self) -> None:
        from guard.monitor.state import snapshot

        self.state.update(snapshot(self.monitor))


class ProductTask(_MonitorTask):
    """Stock, prices and rooms; order_created is applied here for its product and sent on."""

    def process_element(self, routed: Routed, ctx: Any) -> Iterator[Any]:
        kind, _, order_key, before, line, _, key, etype, raw, _ = routed
        if kind != "event" or (order_key is not None and etype != "order_created"):
            yield routed
            return
        monitor = self._load()
        monitor.watermark = before
        event = ev.parse_event(raw)
        stock_before = monitor.stock.get(event.product) if etype == "order_created" else None
        outputs = monitor.process(event, key, line)
        if etype == "order_created":  # the order itself, its findings and deadlines belong to its own task
            outputs = []
            _forget_orders(monitor)
        yield from _emit(monitor, outputs)
        self._save()
        if order_key is not None:
            yield (*routed[:9], stock_before)


def _forget_orders(monitor: Any) -> None:
    monitor.orders.clear()
    monitor.order_queue.clear()
    monitor.deadlines.clear()
    for key in [key for key in monitor.emitted if key.partition("|")[2].startswith("order:")]:
        monitor.emitted.discard(key)
    monitor.emitted_queue = deque(item for item in monitor.emitted_queue
                                  if not item[1].partition("|")[2].startswith("order:"))


class OrderTask(_MonitorTask):
    """An order and its SLAs; deadlines are event-time timers on the order's key."""

    def open(self, runtime_context: Any) -> None:
        super().open(runtime_context)
        self.orphans = self.settings.monitor(lateness=0)  # an unknown order's event is a problem at once

    def process_element(self, routed: Routed, ctx: Any) -> Iterator[Any]:
        kind, _, _, before, line, _, key, _, raw, stock_before = routed
        event = ev.parse_event(raw)
        if kind == "orphan":
            from guard.monitor.state import restore

            restore(self.orphans, self.empty)
            yield from _emit(self.orphans, self.orphans.process(event, key, line))
            return
        # a first order_created starts its key (route lets only one through): no state to read
        monitor = self._load(fresh=kind == "event" and event.type == "order_created")
        outputs = []
        if before is not None:  # what the monitor's watermark passed before this event came, first
            outputs.extend(monitor.advance(before))
            monitor.watermark = before
        if stock_before is not None:
            monitor.stock[event.product] = stock_before
        outputs.extend(monitor.process(event, key, line))
        monitor.stock.clear()
        yield from _emit(monitor, outputs)
        self._save()
        self._arm(ctx, monitor)

    def on_timer(self, timestamp: int, ctx: Any) -> Iterator[Any]:
        watermark = ctx.timer_service().current_watermark()
        ended = watermark >= END_OF_INPUT
        now = self.settings.end if ended else (watermark + 1) // 1000
        if now is None:
            return
        monitor = self._load()
        yield from _emit(monitor, monitor.advance(now))
        self._save()
        if not ended:
            self._arm(ctx, monitor)

    def _arm(self, ctx: Any, monitor: Any) -> None:
        if monitor.deadlines:
            ctx.timer_service().register_event_time_timer((monitor.deadlines[0][0] + self.settings.lateness) * 1000 - 1)


def environment(local: bool = True, checkpoints: str | Path | None = None) -> Any:
    """A streaming environment; ``local``: a mini-cluster whose Python workers run this interpreter.

    Its default parallelism is 1: the source and the watermark stage must keep the arrival order
    (at 2, PyFlink's timestamp assigner runs twice and the source deals records to both, round robin).
    ``build`` sets the keyed operators' parallelism. ``checkpoints``: a folder for checkpoints
    (else the cluster's setting, or the job manager's memory).
    """
    if shutil.which("java") is None and local:
        raise RunnerUnavailable("Flink needs Java 11 or newer (java is not on PATH)")
    config = Configuration()
    config.set_string("restart-strategy.type", "none")  # a failed task fails the job: no silent retry loop
    config.set_string("execution.checkpointing.interval", "2 s")  # the file sink commits on checkpoints
    if local:
        config.set_string("python.executable", sys.executable)
        config.set_string("python.client.executable", sys.executable)
    if checkpoints is not None:
        # the default keeps checkpoints in the job manager's memory, at most 5 MB: too small past ~100k events
        config.set_string("execution.checkpointing.storage", "filesystem")
        config.set_string("execution.checkpointing.dir", Path(checkpoints).resolve().as_uri())
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    return env


def build(rows: Any, settings: Settings, parallelism: int = 1) -> tuple[Any, Any]:
    """The job over a stream of rows (``parse_line``'s) in arrival order: the outputs and the problems,
    as JSON strings. The product and order operators run ``parallelism`` tasks each."""
    pickled = Types.PICKLED_BYTE_ARRAY()
    timed = rows.assign_timestamps_and_watermarks(
        WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(EventTime()))
    routed = (timed.key_by(lambda row: 0, key_type=Types.INT())
              .process(Route(settings.lateness), output_type=pickled).set_parallelism(1).name("route"))
    products = (routed.key_by(lambda item: item[1], key_type=Types.STRING())
                .process(ProductTask(settings), output_type=pickled).set_parallelism(parallelism).name("product"))
    orders = (products.key_by(lambda item: item[2], key_type=Types.STRING())
              .process(OrderTask(settings), output_type=pickled).set_parallelism(parallelism).name("order"))
    outputs, problems = ([task.get_side_output(tag).set_parallelism(parallelism) for task in (products, orders)]
                         for tag in (OUTPUTS, PROBLEMS))
    return outputs[0].union(outputs[1]), problems[0].union(problems[1])


def file_sink(folder: str | Path) -> Any:
    """JSON lines into ``folder`` (part files, committed on checkpoints and at the end)."""
    return (FileSink.for_row_format(str(folder), Encoder.simple_string_encoder("UTF-8"))
            .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
            .with_output_file_config(OutputFileConfig.builder().with_part_prefix("part").with_part_suffix(".jsonl")
                                     .build())
            .build())


def read_lines(folder: str | Path) -> list[str]:
    """The committed lines of a file sink's folder (in-progress and hidden files skipped)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    return [line for part in sorted(root.rglob("part*.jsonl")) for line in part.read_text("utf-8").splitlines()]


def comparable(lines: Sequence[str]) -> list[str]:
    """Output lines as replay's and the job's can be compared: without ``seq`` (a parallel job has no
    single order), as sorted canonical JSON."""
    records = []
    for line in lines:
        record = json.loads(line)
        record.pop("seq", None)
        records.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    return sorted(records)


class JobFailed(GuardError):
    """The Flink job stopped with an error (the task's exception is in Flink's log)."""


def _root_cause(exc: Any) -> str:
    """The innermost Java exception's message, one line."""
    cause = exc.java_exception
    while cause.getCause() is not None:
        cause = cause.getCause()
    return str(cause.toString()).splitlines()[0]


@dataclass
class Result:
    outputs: int
    problems: list[tuple[int, str]]
    events: int
    seconds: float


def run(path: str | Path, output: str | Path, *, lateness: int = 0, until: int | None = None, parallelism: int = 1,
        lang: str = "zh", config: str | None = None, local: bool = True) -> Result:
    """Run the job over an event file; outputs under ``output/outputs``, problems under ``output/problems``."""
    if lateness < 0:
        raise InputFileError("--lateness must not be negative")
    start = time.perf_counter()
    prepared = prepare(path)
    end = prepared.end if until is None else max(until, prepared.end if prepared.end is not None else until)
    settings = Settings(source=str(path), lateness=lateness, lang=lang, config=config, end=end)
    target = Path(output)
    for name in ("outputs", "problems"):
        if (target / name).exists():
            shutil.rmtree(target / name)
    load_rules(config=config)  # a bad config is reported here, not by a failed task
    with tempfile.TemporaryDirectory(prefix="guard-flink-") as scratch:
        _execute(prepared, settings, target, parallelism, environment(local, scratch if local else None))
    found = [json.loads(line) for line in read_lines(target / "problems")]
    all_problems = sorted([*prepared.problems, *((item["line"], item["problem"]) for item in found)])
    return Result(len(read_lines(target / "outputs")), all_problems, len(prepared.rows), time.perf_counter() - start)


def _execute(prepared: Prepared, settings: Settings, target: Path, parallelism: int, env: Any) -> None:
    rows = env.from_collection(prepared.rows, type_info=Types.TUPLE([Types.INT(), Types.LONG(), *[Types.STRING()] * 6]))
    outputs, problems = build(rows, settings, parallelism)
    outputs.sink_to(file_sink(target / "outputs")).set_parallelism(parallelism).name("outputs")
    problems.sink_to(file_sink(target / "problems")).set_parallelism(parallelism).name("problems")
    try:
        env.execute("guard monitor")
    except Py4JJavaError as exc:
        raise JobFailed(f"the Flink job failed: {_root_cause(exc)}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m guard.stream EVENTS --output DIR``: the job as a command (also ``flink run -py`` this file)."""
    parser = argparse.ArgumentParser(prog="python -m guard.stream", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--cluster", action="store_true",
                        help="submitted with `flink run`: use the cluster's settings, not a local mini-cluster")
    args = parser.parse_args(argv)
    try:
        return run_command(args, local=not args.cluster)
    except (GuardError, ValueError) as exc:
        print(f"guard: {exc}", file=sys.stderr)
        return 2


def run_command(args: argparse.Namespace, local: bool = True) -> int:
    """Run from parsed arguments; exit code as replay's: 2 problems, 1 outputs, 0 neither."""
    if not Path(args.events).is_file():
        raise InputFileError(f"{args.events}: no such events file")
    if args.parallelism < 1:
        raise InputFileError("--parallelism must be at least 1")
    until = parse_time(args.until) if args.until else None
    result = run(args.events, args.output, lateness=args.lateness, until=until, parallelism=args.parallelism,
                 lang=args.lang, config=args.config, local=local)
    for line, message in result.problems:
        print(f"error: line {line}: {message}", file=sys.stderr)
    print(f"guard: flink: {result.events} events, {result.outputs} outputs in {args.output}/outputs, "
          f"{len(result.problems)} problems; {result.seconds:.1f} s", file=sys.stderr)
    return 2 if result.problems else (1 if result.outputs else 0)


if __name__ == "__main__":
    sys.exit(main())
