"""English output names its documents and sections in English (`--lang en`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from guard.data import data_dir
from guard.errors import RuleFileError
from guard.findings import FindingBuilder
from guard.rules.english import chinese_number, section_en
from guard.rules.loader import default_rules, load_sources

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_citation_reads_without_chinese_in_english_and_unchanged_in_chinese() -> None:
    rules = default_rules()
    english, chinese = FindingBuilder(rules, "en"), FindingBuilder(rules, "zh")
    for rule in rules.rules:
        for en_ref, zh_ref, cite in zip(english.sources(rule), chinese.sources(rule), rule.cite, strict=True):
            assert not CJK.search(en_ref.title), (rule.id, en_ref.title)
            assert not CJK.search(en_ref.section or ""), (rule.id, cite.section, en_ref.section)
            assert (zh_ref.title, zh_ref.section) == (rules.sources[cite.source].title, cite.section)


@pytest.mark.parametrize(("section", "english"), [
    ("第九条第三项、第五十七条（罚款二十万元以上一百万元以下）", "Art. 9 item 3, Art. 57"),
    ("第十一条第二款", "Art. 11 para. 2"),
    ("第二十八条第二款第四项", "Art. 28 para. 2 item 4"),
    ("第十一条至第十三条（附赠式有奖销售）", "Art. 11 to Art. 13"),
    ("三、直播间商品关联操作（开播前：检查价格标签一致性）", "seed section 3"),
    ("goods/add priceType 3（显示折扣价）", "goods/add priceType 3"),
    ("参考 §3.3 反不正当竞争法", "reference §3.3 Anti-Unfair Competition Law"),
    ("300002", "300002"),
    (None, None),
])
def test_section_en(section: str | None, english: str | None) -> None:
    assert section_en(section) == english


@pytest.mark.parametrize(("text", "number"), [("一", 1), ("十", 10), ("十二", 12), ("五十七", 57), ("一百零二", 102), ("八十一", 81)])
def test_chinese_number(text: str, number: int) -> None:
    assert chinese_number(text) == number


def test_a_source_without_an_english_title_is_a_rule_file_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    shutil.copy(data_dir("rules") / "sources.yaml", path)
    path.write_text(path.read_text(encoding="utf-8").replace("  title_en: Advertising Law", "  note_en: Advertising Law", 1),
                    encoding="utf-8")
    with pytest.raises(RuleFileError, match="title_en"):
        load_sources(path)


def test_rules_show_names_sources_in_the_language_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from guard.cli import main

    assert main(["rules", "show", "ROOM-002", "--lang", "en"]) == 0
    [english] = [line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("source:")]
    assert not CJK.search(english) and "seed section 3" in english
    assert main(["rules", "show", "ROOM-002"]) == 0
    [chinese] = [line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("source:")]
    assert "三、直播间商品关联操作" in chinese
