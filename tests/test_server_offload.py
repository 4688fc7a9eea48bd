"""Big lints and catalogs in worker processes: the same answers as in a thread, and only for big bodies."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from guard.errors import EngineError
from guard.rules.loader import load_rules
from guard.server import Service, make_app
from guard.server.limits import Refused
from guard.server.offload import WorkerProcesses

SCRIPT = "这款面霜是全网最好的，可以消炎，三天见效。家人们加微信私聊改价。" * 4


class Counted:
    """The worker processes, counting the bodies they are given."""

    def __init__(self, processes: WorkerProcesses) -> None:
        self.processes = processes
        self.threshold = processes.threshold
        self.bodies = 0

    def lint(self, body: bytes) -> bytes:
        self.bodies += 1
        return self.processes.lint(body)

    def catalog(self, body: bytes, *args: Any) -> Any:
        self.bodies += 1
        return self.processes.catalog(body, *args)


@pytest.fixture(scope="module")
def service() -> Service:
    return Service(load_rules())


@pytest.fixture(scope="module")
def processes(service: Service) -> Iterator[WorkerProcesses]:
    found = WorkerProcesses(service, 1, threshold=200)
    yield found
    found.close()


def _answers(app: Any, body: bytes) -> tuple[int, Any]:
    with TestClient(app) as client:
        response = client.post("/v1/lint", content=body, headers={"Content-Type": "application/json"})
    return response.status_code, response.json()


def test_a_big_lint_is_answered_by_a_worker_process_as_in_a_thread(service: Service,
                                                                    processes: WorkerProcesses) -> None:
    counted = Counted(processes)
    offloaded = make_app(service, processes=counted)
    threads = make_app(service)
    big = json.dumps({"text": SCRIPT, "platform": "douyin", "category": "cosmetics"}, ensure_ascii=False).encode()
    assert len(big) >= 200
    status, report = _answers(offloaded, big)
    assert status == 200 and report["findings"] and counted.bodies == 1
    assert (status, report) == _answers(threads, big)
    small = json.dumps({"text": "最好的面霜"}, ensure_ascii=False).encode()
    assert len(small) < 200
    assert _answers(offloaded, small) == _answers(threads, small) and counted.bodies == 1  # in a thread


def test_a_big_bad_body_is_refused_as_in_a_thread(service: Service, processes: WorkerProcesses) -> None:
    bad = json.dumps({"text": SCRIPT, "platform": "no-such-platform"}, ensure_ascii=False).encode()
    status, answer = _answers(make_app(service, processes=processes), bad)
    assert status == 400 and (status, answer) == _answers(make_app(service), bad)


EXPORT = Path(__file__).resolve().parent.parent / "examples" / "exports" / "shop-export.csv"


def _checked(app: Any, body: bytes, name: str) -> tuple[int, Any]:
    with TestClient(app) as client:
        response = client.post(f"/v1/catalog?name={name}&lang=en&now=2026-11-26T10:00:00%2B08:00", content=body)
    return response.status_code, response.json()


def test_a_big_catalog_is_checked_by_a_worker_process_as_in_a_thread(service: Service,
                                                                      processes: WorkerProcesses) -> None:
    body = EXPORT.read_bytes()
    assert len(body) >= processes.threshold
    status, report = _checked(make_app(service, processes=processes), body, "shop-export.csv")
    assert status == 200 and report["findings"]
    assert (status, report) == _checked(make_app(service), body, "shop-export.csv")
    refused = _checked(make_app(service, processes=processes), body, "shop-export.txt")
    assert refused[0] == 400 and refused == _checked(make_app(service), body, "shop-export.txt")


def test_a_big_catalog_asked_for_as_a_workbook_is_the_workbook_a_thread_gives(service: Service,
                                                                               processes: WorkerProcesses) -> None:
    body = EXPORT.read_bytes()
    assert len(body) >= processes.threshold
    sheets = []
    for app in (make_app(service, processes=processes), make_app(service)):
        with TestClient(app) as client:
            answer = client.post("/v1/catalog?name=shop-export.csv&lang=en&format=xlsx&now=2026-11-26T10:00:00%2B08:00",
                                 content=body)
        assert answer.status_code == 200 and "spreadsheetml" in answer.headers["content-type"]
        sheets.append(list(load_workbook(io.BytesIO(answer.content)).worksheets[0].iter_rows(values_only=True)))
    assert len(sheets[0]) > 1 and sheets[0] == sheets[1]


def test_a_lint_or_a_catalog_of_exactly_the_threshold_goes_to_a_worker_process_and_one_byte_less_does_not(
        service: Service, processes: WorkerProcesses) -> None:
    counted = Counted(processes)
    app = make_app(service, processes=counted)
    body = json.dumps({"text": SCRIPT}, ensure_ascii=False).encode()
    counted.threshold = len(body)
    assert _answers(app, body)[0] == 200 and counted.bodies == 1
    counted.threshold = len(body) + 1
    assert _answers(app, body)[0] == 200 and counted.bodies == 1  # in a thread
    export = EXPORT.read_bytes()
    counted.threshold = len(export)
    assert _checked(app, export, "shop-export.csv")[0] == 200 and counted.bodies == 2
    counted.threshold = len(export) + 1
    assert _checked(app, export, "shop-export.csv")[0] == 200 and counted.bodies == 2  # in a thread


class Refusing(Service):
    """A service that refuses every lint with a status and header of its own."""

    def lint(self, request: Any) -> dict[str, Any]:
        raise Refused(503, "linting is paused; try again", {"Retry-After": "7"})


def test_a_refusal_in_a_worker_process_keeps_its_status_message_and_headers() -> None:
    service = Refusing(load_rules())
    processes = WorkerProcesses(service, 1, threshold=200)
    try:
        body = json.dumps({"text": SCRIPT}, ensure_ascii=False).encode()
        for app in (make_app(service, processes=processes), make_app(service)):
            with TestClient(app) as client:
                answer = client.post("/v1/lint", content=body, headers={"Content-Type": "application/json"})
            assert (answer.status_code, answer.json(), answer.headers.get("retry-after")) == (
                503, {"error": "linting is paused; try again"}, "7")
    finally:
        processes.close()


class Unpicklable(Exception):
    """An exception that pickles but cannot be unpickled: its constructor takes two arguments."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what}: {why}")


class FailingOnRequest(Service):
    """A service whose lint fails when asked: with an engine failure, or with an exception that does not come
    back from a process as it is."""

    def lint(self, request: Any) -> dict[str, Any]:
        if request.text.startswith("fail"):
            raise Unpicklable("lint", "failed")
        if request.text.startswith("engine"):
            raise EngineError("durable lost a fact")
        return super().lint(request)


def test_a_failure_in_a_worker_process_that_cannot_be_carried_back_is_a_500_and_the_workers_go_on() -> None:
    service = FailingOnRequest(load_rules())
    processes = WorkerProcesses(service, 1, threshold=200)
    bodies = [json.dumps({"text": text}, ensure_ascii=False).encode()
              for text in ("fail" + SCRIPT, "engine" + SCRIPT, SCRIPT)]
    answers: list[tuple[int, Any]] = []

    def post() -> None:
        for app in (make_app(service, processes=processes), make_app(service)):
            with TestClient(app, raise_server_exceptions=False) as client:
                for body in bodies:
                    answer = client.post("/v1/lint", content=body, headers={"Content-Type": "application/json"})
                    answers.append((answer.status_code, answer.json()))

    try:
        poster = threading.Thread(target=post, daemon=True)
        poster.start()
        poster.join(60)
        assert len(answers) == 6, "a request to the worker processes is still waiting"
        assert answers[:2] == [(500, {"error": "internal error; the server log has the details"}),
                               (500, {"error": "engine failure: durable lost a fact"})]
        assert answers[2][0] == 200 and answers[:3] == answers[3:]  # as in a thread
    finally:
        processes.close()


class WhereLinted(Service):
    """A service whose lint and catalog check say which process ran them."""

    def lint(self, request: Any) -> dict[str, Any]:
        return {**super().lint(request), "pid": os.getpid()}

    def catalog(self, *args: Any) -> Any:
        return {**super().catalog(*args), "pid": os.getpid()}


def test_a_big_lint_and_a_big_catalog_run_in_another_process() -> None:
    service = WhereLinted(load_rules())
    processes = WorkerProcesses(service, 1, threshold=200)
    try:
        body = json.dumps({"text": SCRIPT}, ensure_ascii=False).encode()
        assert _answers(make_app(service, processes=processes), body)[1]["pid"] != os.getpid()
        assert _answers(make_app(service), body)[1]["pid"] == os.getpid()  # without: this process's thread
        export = EXPORT.read_bytes()
        assert _checked(make_app(service, processes=processes), export, "shop-export.csv")[1]["pid"] != os.getpid()
    finally:
        processes.close()


def test_serve_refuses_a_negative_number_of_lint_processes(capsys: pytest.CaptureFixture[str]) -> None:
    from guard.cli import main

    assert main(["serve", "--port", "0", "--processes", "-1"]) == 2
    assert "--processes must be 0" in capsys.readouterr().err
