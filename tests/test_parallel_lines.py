"""JSON lines checked on several processes, each worker reading its own pieces of the files (guard.parallel_lines)."""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, replicate_module

import guard.cli
import guard.parallel_lines
from guard.check import check_files
from guard.cli import main
from guard.io.profiles import ColumnMap
from guard.parallel import PIECE_BYTES, check_files_parallel
from guard.parallel_lines import check_lines_parallel
from guard.report.json import render_json
from guard.rules.loader import default_rules

PIECE = 9000  # bytes: about ten products a piece, so ids repeat across pieces



WEIXIN = {"product_id": 10000123, "out_product_id": "WX-1", "title": "陶瓷马克杯 350ml",
          "head_imgs": ["a.jpg", "b.jpg", "c.jpg"], "desc_info": {"desc": "可进洗碗机。", "imgs": []},
          "cats": [{"cat_id": "1421"}, {"cat_id": "1452"}],
          "skus": [{"sku_id": "9001", "sale_price": 5900, "market_price": 7900, "stock_num": 120}],
          "deliver_method": 0}


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def lines_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """JSON lines with what a split check must settle across pieces and files.

    The first file: the examples replicated with every cross-product edge case (a product id again
    far from its first occurrence, an invalid product before a valid one of the same id, an unknown
    merchant, rooms naming products of distant copies), the merchants written after the products,
    blank lines, a malformed line, a room whose kind is spelled with an escape, a back end's own
    record (a profile, and a key it leaves unused) and a product id repeated in the next line. The
    second: a byte-order mark, more products (one an id of the first file) and a duplicate merchant.
    The third is empty.
    """
    replicate = replicate_module()
    folder = tmp_path_factory.mktemp("lines")
    doc = replicate.replicate(240, edge_cases=True)
    products = doc["products"]
    rows = [_line({"kind": "product", **p}) for p in products]
    rows.insert(40, "\n")
    rows.insert(41, "{not json\n")
    rows.insert(60, _line({"kind": "product", **products[59]}))  # the same id in the very next line
    rows.insert(90, _line(WEIXIN))
    room = copy.deepcopy(doc["live_rooms"][0])
    room["id"] = "ESCAPED-ROOM"
    rows.insert(120, _line({"kind": "live_room", **room}).replace('"live_room"', '"live_r\\u006fom"', 1))
    rows += [_line({"kind": "live_room", **r}) for r in doc["live_rooms"]]
    rows += [_line({"kind": "merchant", **m}) for m in doc["merchants"]]
    first = folder / "a.jsonl"
    first.write_text("".join(rows), encoding="utf-8")
    more = replicate.replicate(60)
    extra = [_line({"kind": "merchant", **m}) for m in more["merchants"]]
    extra += [_line({"kind": "product", "merchant": "youjia-select", **p}) for p in more["products"][12:]]
    extra.append(_line({"kind": "product", **products[3]}))  # an id of the first file
    second = folder / "b.jsonl"
    second.write_bytes(b"\xef\xbb\xbf" + "".join(extra).encode("utf-8"))
    empty = folder / "c.ndjson"
    empty.write_text("", encoding="utf-8")
    return [first, second, empty]


def _serial(paths: list[Path], **options: Any) -> str:
    return render_json(check_files(paths, now=NOW, lang="en", **options), "en")


def test_pieces_give_the_report_of_one_process(lines_files: list[Path]) -> None:
    report = check_lines_parallel(lines_files, jobs=2, ruleset=default_rules(), engine=None, platform=None, now=NOW,
                                  lang="en", piece_bytes=PIECE)
    assert report is not None
    expected = _serial(lines_files)
    assert render_json(report, "en") == expected
    data = json.loads(expected)
    messages = [p["message"] for p in data["problems"]]
    assert sum(m.startswith("duplicate product id") for m in messages) >= 3
    assert any(m.startswith("unknown merchant") for m in messages)
    assert any(m.startswith("malformed JSON") for m in messages)
    assert any(m.startswith("no records") for m in messages)
    assert any(f["subject"].startswith("room:ESCAPED-ROOM") for f in data["findings"])
    assert data["warnings"], "the back end's record is read through its profile, and said so"


def test_pieces_map_categories_and_force_a_platform_as_one_process_does(lines_files: list[Path]) -> None:
    columns = ColumnMap({}, {"1452": "home"})
    report = check_files_parallel(lines_files, columns=columns, jobs=2, piece_bytes=PIECE, now=NOW, lang="en",
                                  platform="douyin")
    assert render_json(report, "en") == _serial(lines_files, columns=columns, platform="douyin")


def test_the_workers_read_the_products_and_a_helper_only_the_other_kinds(
        lines_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "reads"
    original = guard.parallel_lines.read_jsonl

    def noting(*args: Any, **kwargs: Any) -> Any:
        for item in original(*args, **kwargs):
            with log.open("a") as sink:
                sink.write(f"{os.getpid()} {getattr(item, 'kind', 'problem')}\n")
            yield item

    monkeypatch.setattr(guard.parallel_lines, "read_jsonl", noting)
    report = check_lines_parallel(lines_files, jobs=2, ruleset=default_rules(), engine=None, platform=None, now=NOW,
                                  lang="en", piece_bytes=PIECE)
    assert report is not None
    reads: dict[str, list[str]] = {}
    for line in log.read_text().splitlines():
        pid, kind = line.split()
        reads.setdefault(pid, []).append(kind)
    assert str(os.getpid()) not in reads  # this process loads the matcher meanwhile
    helpers = [kinds for kinds in reads.values() if "product" not in kinds]
    workers = [kinds for kinds in reads.values() if "product" in kinds]
    assert len(helpers) == 1 and set(helpers[0]) == {"merchant", "live_room"}
    assert len(workers) == 2 and sum(kinds.count("product") for kinds in workers) > 280


@pytest.mark.parametrize("module", ["guard.parallel_lines", "guard.parallel"])
def test_the_workers_inherit_the_matcher_and_its_tagger_loaded(lines_files: list[Path], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    import importlib

    from guard.text.matcher import bundled_matcher

    target = importlib.import_module(module)
    seen = tmp_path / "seen"
    original = target._start_worker

    def noting() -> None:  # runs in each worker as it starts: what did it inherit?
        loaded = bundled_matcher.cache_info().currsize == 1 and bundled_matcher().segmenter._tagger is not None
        with seen.open("a", encoding="utf-8") as sink:
            sink.write(f"{loaded}\n")
        original()

    monkeypatch.setattr(target, "_start_worker", noting)
    bundled_matcher.cache_clear()  # as in a fresh process: nothing loaded yet
    if module == "guard.parallel_lines":
        assert check_lines_parallel(lines_files, jobs=2, ruleset=default_rules(), engine=None, platform=None, now=NOW,
                                    lang="en", piece_bytes=PIECE) is not None
    else:
        check_files_parallel(lines_files, jobs=2, chunk_size=50, now=NOW, lang="en", split_lines=False)
    assert seen.read_text(encoding="utf-8").split() == ["True", "True"]


def test_a_file_that_is_not_utf8_is_left_to_the_other_parallel_check(tmp_path: Path) -> None:
    replicate = replicate_module()
    doc = replicate.replicate(60)
    path = tmp_path / "gbk.jsonl"
    rows = [_line({"kind": "product", **p}) for p in doc["products"]] + [_line({"kind": "merchant", **doc["merchants"][0]})]
    path.write_bytes("".join(rows).encode("gb18030"))
    assert check_lines_parallel([path], jobs=2, ruleset=default_rules(), engine=None, platform=None, now=NOW,
                                lang="en", piece_bytes=PIECE) is None
    report = check_files_parallel([path], jobs=2, piece_bytes=PIECE, chunk_size=20, now=NOW, lang="en")
    assert render_json(report, "en") == _serial([path])


def test_cli_cuts_files_that_are_not_utf8_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replicate = replicate_module()
    doc = replicate.replicate(1600)
    path = tmp_path / "gbk.jsonl"
    rows = [_line({"kind": "product", **p}) for p in doc["products"]] + [_line({"kind": "merchant", **doc["merchants"][0]})]
    path.write_bytes("".join(rows).encode("gb18030"))
    assert path.stat().st_size > PIECE_BYTES  # what the chunked check would cut again
    calls: list[int] = []

    def noting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return check_lines_parallel(*args, **kwargs)

    monkeypatch.setattr(guard.cli, "LINES_BYTES", 0)
    monkeypatch.setattr(guard.cli, "check_lines_parallel", noting)
    monkeypatch.setattr(guard.parallel_lines, "check_lines_parallel", noting)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert _cli([path], one, "--jobs", "1") == _cli([path], two, "--jobs", "2")
    assert calls == [1]  # the CLI's own try; the chunked check is not sent to cut the files again
    assert two.read_bytes() == one.read_bytes() and one.read_bytes()


def _cli(files: list[Path], out: Path, *options: str) -> int:
    return main(["check", *map(str, files), "--format", "jsonl", "--output", str(out), "--now", NOW.isoformat(),
                 "--no-progress", *options])


def test_cli_writes_the_bytes_of_one_process(lines_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert _cli(lines_files, one, "--jobs", "1") == 2
    serial_err = capsys.readouterr().err
    monkeypatch.setattr(guard.cli, "LINES_BYTES", 0)
    calls: list[int] = []

    def small_pieces(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return check_lines_parallel(*args, **kwargs, piece_bytes=PIECE)

    monkeypatch.setattr(guard.cli, "check_lines_parallel", small_pieces)
    assert _cli(lines_files, two, "--jobs", "2") == 2
    assert calls == [1]
    assert capsys.readouterr().err == serial_err  # problems, warnings and the summary's tally
    assert two.read_bytes() == one.read_bytes()
    assert len(one.read_bytes().splitlines()) > 300


def test_cli_takes_every_core_by_default_only_for_large_json_lines_written_as_json_lines(
        lines_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def noting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["jobs"])
        return check_lines_parallel(*args, **kwargs)

    monkeypatch.setattr(guard.cli, "check_lines_parallel", noting)
    monkeypatch.setattr(guard.cli, "default_jobs", lambda: 3)
    out = tmp_path / "out"
    _cli(lines_files, out)  # small: one process
    assert calls == []
    monkeypatch.setattr(guard.cli, "LINES_BYTES", 1000)
    _cli(lines_files, out, "--format", "json")  # large, but written as one document: one process
    assert calls == []
    _cli(lines_files, out)
    assert calls == [3]
    _cli(lines_files, out, "--jobs", "1")
    assert calls == [3]


def test_the_workers_check_with_the_engine_asked_for(lines_files: list[Path]) -> None:
    report = check_lines_parallel(lines_files[:1], jobs=2, ruleset=default_rules(), engine="native", platform=None,
                                  now=NOW, lang="zh", piece_bytes=PIECE)
    assert report is not None and report.engine == "native"
    assert render_json(report, "zh") == render_json(check_files(lines_files[:1], now=NOW, lang="zh"), "zh")


@pytest.mark.parametrize("piece", [1, 200, 1 << 30])
def test_any_piece_size_gives_the_same_report(lines_files: list[Path], piece: int) -> None:
    report = check_lines_parallel(lines_files[1:], jobs=2, ruleset=default_rules(), engine=None, platform=None,
                                  now=NOW, lang="en", piece_bytes=piece)
    assert report is not None
    assert render_json(report, "en") == _serial(lines_files[1:])


def test_a_partial_check_is_not_used_when_a_piece_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = _line({"kind": "product", "id": "A", "category": "apparel", "name": "围巾", "price": "1.00"})
    path.write_bytes(good.encode("utf-8") * 50 + "围巾".encode("gb18030") + b"\n" + good.encode("utf-8"))
    runner = functools.partial(check_lines_parallel, jobs=2, ruleset=default_rules(), engine=None, platform=None,
                               now=NOW, lang="en", piece_bytes=300)
    assert runner([path]) is None


def test_a_file_that_cannot_be_read_here_is_left_to_the_other_reader(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(_line({"kind": "product", "id": "A", "category": "apparel", "name": "围巾", "price": "1.00"}),
                    encoding="utf-8")
    real_open = os.open

    def refuse(name: Any, *args: Any, **kwargs: Any) -> int:
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(guard.parallel_lines.os, "open", refuse)
    assert check_lines_parallel([path], jobs=2, ruleset=default_rules(), engine=None, platform=None, now=NOW,
                                lang="en", piece_bytes=PIECE) is None
