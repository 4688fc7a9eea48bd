"""guard monitor flink on a local Flink mini-cluster: the records of guard monitor replay, record for record."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from guard.cli import main

BENCH = Path(__file__).resolve().parent.parent / "bench"
WHY_NOT_HERE = ("the flink extra is not installed in this environment (pyflink pins py4j 0.10.9.7, pyspark "
                "needs 0.10.9.9): make test runs these tests in .venv-flink")


pyflink = pytest.importorskip("pyflink", reason=WHY_NOT_HERE)
if shutil.which("java") is None:
    pytest.skip("Flink needs Java (java is not on PATH)", allow_module_level=True)

from guard.stream import flink  # noqa: E402  (after the skips: it needs pyflink)

pytestmark = [
    pytest.mark.flink,
    pytest.mark.slow,
    # py4j leaves its gateway sockets to the collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    # Beam's gRPC reader thread can see the channel closed under it as a job ends ("Multiplexer hanging up")
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
START = "2026-11-26T20:00:00+08:00"


def _generate(count: int, seed: int) -> list[str]:
    spec = importlib.util.spec_from_file_location("make_events", BENCH / "make_events.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines: list[str] = module.generate(count, seed=seed)
    return lines


def _event(kind: str, at: str, **fields: Any) -> str:
    return json.dumps({"type": kind, "at": at, **fields}, ensure_ascii=False)


def awkward_stream(count: int = 2500, seed: int = 7) -> list[str]:
    """A generated stream made awkward: duplicates, events moved later (late), an invalid line,
    order events before their order_created, an event for an order never created, an order created
    twice, and an oversold order at the end whose refund deadline lies past the last event."""
    rng = random.Random(seed)
    lines: list[str] = []
    for line in _generate(count, seed):
        lines.append(line)
        if rng.random() < 0.03:
            lines.append(line)  # sent twice
    for _ in range(60):  # delivered a few hundred events late
        index = rng.randrange(len(lines) - 400)
        lines.insert(index + rng.randint(50, 350), lines.pop(index))
    for index, line in enumerate(lines):  # an order's own events ahead of its order_created
        if '"type":"order_created"' in line and index > 1000:
            oversold = next(i for i in range(index + 1, len(lines)) if '"type":"oversold_detected"' in lines[i])
            lines.insert(index, lines.pop(oversold))
            break
    lines.insert(300, "{not json")
    lines.insert(900, _event("refund_issued", "2026-11-26T20:30:00+08:00", order="NEVER-CREATED"))
    last = max(json.loads(line)["at"] for line in lines if line.startswith("{\""))
    lines += [_event("stock_changed", last, product="TAIL", stock=3),
              _event("order_created", last, order="TAIL-1", product="TAIL", quantity=2, price="10.00"),
              _event("order_created", last, order="TAIL-1", product="TAIL", quantity=3),  # created twice: ignored
              _event("order_created", last, order="TAIL-2", product="TAIL", quantity=2, price="10.00")]
    return lines


def replay_records(events: Path, db: Path, extra: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    code = main(["monitor", "replay", str(events), "--db", str(db), "--format", "jsonl", *extra])
    captured = capsys.readouterr()
    assert code == 2  # the invalid line and the unknown order
    return flink.comparable(captured.out.splitlines()), captured.err


def problem_lines(stderr: str) -> list[str]:
    return sorted(line for line in stderr.splitlines() if line.startswith("error: line "))


def rules_of(records: list[str], subject: str) -> list[str]:
    """The rule ids of the findings, and the names of the actions, on one subject."""
    bodies = [json.loads(record) for record in records]
    return sorted(body.get("action") or body["rule"] for body in bodies if body["subject"] == subject)


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flink") / "events.jsonl"
    path.write_text("\n".join(awkward_stream()) + "\n", "utf-8")
    return path


def test_the_job_gives_replays_records_and_problems(events: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    expected, replay_err = replay_records(events, tmp_path / "replay.db", [], capsys)
    code = main(["monitor", "flink", str(events), "--output", str(tmp_path / "out"), "--parallelism", "2"])
    flink_err = capsys.readouterr().err
    got = flink.comparable(flink.read_lines(tmp_path / "out" / "outputs"))
    assert code == 2
    assert got == expected
    assert problem_lines(flink_err) == problem_lines(replay_err)
    assert any("NEVER-CREATED" in line for line in problem_lines(flink_err))
    # the stream holds what makes the comparison worth making
    rules = {json.loads(record).get("rule") for record in expected}
    assert {"ORDER-001", "ORDER-002"} <= rules
    assert any("created twice" in line for line in problem_lines(flink_err))
    # TAIL-1 took 2 of 3; its second order_created takes nothing, so TAIL-2 (2) is short by 1
    assert rules_of(expected, "order:TAIL-1/stock") == []
    assert [json.loads(r)["message"] for r in got if json.loads(r)["subject"] == "order:TAIL-2/stock"] == [
        "订单 TAIL-2 购买 2 件，商品 TAIL 只剩 1 件，超卖 1 件。"]
    # the tail order's refund deadline lies past the last event: without --until it has not passed
    assert rules_of(got, "order:TAIL-2/oversold_refund") == []


def test_with_lateness_and_until_the_job_gives_replays_records(events: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--lateness", "120", "--until", "2026-11-28T00:00:00+08:00"]
    expected, replay_err = replay_records(events, tmp_path / "replay.db", extra, capsys)
    result = flink.run(events, tmp_path / "out", lateness=120, until=flink.parse_time("2026-11-28T00:00:00+08:00"))
    got = flink.comparable(flink.read_lines(tmp_path / "out" / "outputs"))
    assert got == expected
    assert sorted(f"error: line {line}: {message}" for line, message in result.problems) == problem_lines(replay_err)
    # --until carries the clock past the tail order's deadline
    assert rules_of(got, "order:TAIL-2/oversold_refund") == ["ORDER-001"]


def test_without_java_the_command_says_so(events: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(flink.shutil, "which", lambda name: None)
    code = main(["monitor", "flink", str(events), "--output", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err == "guard: Flink needs Java 11 or newer (java is not on PATH)\n"


def test_a_bad_config_is_reported_before_the_job_starts(events: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["monitor", "flink", str(events), "--output", str(tmp_path / "out"),
                 "--config", str(tmp_path / "missing.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("guard: ") and err.count("\n") == 1
    assert "missing.yaml" in err
    assert not (tmp_path / "out" / "outputs").exists()


class _JavaThrowable:
    def __init__(self, text: str, cause: _JavaThrowable | None = None) -> None:
        self.text, self.cause = text, cause

    def getCause(self) -> _JavaThrowable | None:  # noqa: N802 - the Java name
        return self.cause

    def toString(self) -> str:  # noqa: N802 - the Java name
        return self.text


def test_a_failed_job_is_reported_by_its_innermost_cause() -> None:
    failure = type("Failure", (), {})()
    failure.java_exception = _JavaThrowable("JobExecutionException: Job execution failed.", _JavaThrowable(
        "JobException: Recovery is suppressed", _JavaThrowable("java.io.IOException: Size of the state is larger\n  at x")))
    assert flink._root_cause(failure) == "java.io.IOException: Size of the state is larger"
