"""guard check --jobs: a catalog split across processes gives the report of one process."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, replicate_module

import guard.parallel
from guard.check import check_files
from guard.cli import main
from guard.engine import durable
from guard.parallel import check_files_parallel
from guard.report.json import render_json




@pytest.fixture(scope="module")
def catalog_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two files: the examples replicated with every cross-product edge case, and products as JSON lines."""
    replicate = replicate_module()
    folder = tmp_path_factory.mktemp("parallel")
    document, lines = folder / "catalog.json", folder / "more.jsonl"
    replicate.write(replicate.replicate(700, edge_cases=True), document)
    more = replicate.replicate(120)
    more["products"][5] = {"id": more["products"][4]["id"], "category": "apparel"}  # invalid, same id as the one before
    replicate.write(more, lines, jsonl=True)
    with lines.open("a", encoding="utf-8") as sink:
        sink.write("{not json\n")
    return [document, lines]


def _serial(paths: list[Path], engine: str = "native") -> str:
    return render_json(check_files(paths, now=NOW, engine=engine, lang="en"), "en")


@pytest.mark.parametrize("engine_name", ["native", pytest.param("durable", marks=pytest.mark.durable)])
def test_two_processes_give_the_report_of_one(catalog_files: list[Path], engine_name: str) -> None:
    if engine_name == "durable" and not durable.available():
        pytest.skip(durable.unavailable_reason())
    report = check_files_parallel(catalog_files, jobs=2, chunk_size=97, now=NOW, engine=engine_name, lang="en")
    expected = _serial(catalog_files, engine_name)
    assert render_json(report, "en") == expected
    data = json.loads(expected)
    problems = {(p["record"], p["message"].split(" (")[0]) for p in data["problems"]}
    assert ("EDGE-TWICE", "duplicate product id 'EDGE-TWICE'") not in problems  # the invalid one came first
    assert any(m.startswith("duplicate product id") for _, m in problems)
    assert any(m.startswith("unknown merchant") for _, m in problems)
    assert any(m.startswith("unknown product") for _, m in problems)
    assert any(f["subject"].startswith("promotion:EDGE-PROMO-FAR") for f in data["findings"])


_PIDS: list[Path] = []


def _noting_check_chunk(indices: list[int]) -> Any:
    with _PIDS[0].open("a") as sink:
        sink.write(f"{os.getpid()}\n")
    return _ORIGINAL_CHECK_CHUNK(indices)


_ORIGINAL_CHECK_CHUNK = guard.parallel._check_chunk


def test_chunks_run_in_worker_processes(catalog_files: list[Path], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = tmp_path / "pids"
    _PIDS[:] = [seen]
    monkeypatch.setattr(guard.parallel, "_check_chunk", _noting_check_chunk)
    check_files_parallel(catalog_files, jobs=2, chunk_size=300, now=NOW)
    pids = seen.read_text().split()
    assert str(os.getpid()) not in pids
    assert len(pids) == 3  # 705 product records in the document and 120 in the lines, in chunks of 300


def test_a_small_catalog_stays_in_this_process(catalog_files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("no worker should start")

    monkeypatch.setattr(guard.parallel, "_run_workers", refuse)
    report = check_files_parallel(catalog_files, jobs=2, now=NOW, lang="en")
    assert render_json(report, "en") == _serial(catalog_files)


def test_jobs_must_be_positive(catalog_files: list[Path]) -> None:
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        check_files_parallel(catalog_files, jobs=0)


@pytest.mark.slow
def test_cli_jobs_two_prints_what_jobs_one_prints(catalog_files: list[Path], tmp_path: Path) -> None:
    replicate = replicate_module()
    big = tmp_path / "big.json"
    replicate.write(replicate.replicate(guard.parallel.DEFAULT_CHUNK + 500, edge_cases=True), big)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.json"
        code = main(["check", str(big), str(catalog_files[1]), "--jobs", jobs, "--format", "json", "--output", str(out),
                     "--now", NOW.isoformat(), "--lang", "en"])
        assert code == 2  # the edge cases are input problems
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["findings"]) > 3000


def test_cli_rejects_negative_jobs(catalog_files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(catalog_files[0]), "--jobs", "-1"]) == 2
    assert "--jobs must be 0 (every core) or more" in capsys.readouterr().err


def test_cli_parquet_needs_spark(catalog_files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(catalog_files[0]), "--format", "parquet"]) == 2
    assert "--format parquet needs --spark" in capsys.readouterr().err
