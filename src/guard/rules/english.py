"""Citation sections in English: article numbering translated, the remaining words from a glossary.

第九条第三项、第五十七条（罚款…） reads "Art. 9 item 3, Art. 57"; a seed heading 三、直播间商品关联操作（…）
reads "seed section 3"; other words come from ``rules/sections_en.yaml``. Parenthesised Chinese notes
(edition remarks, quoted headings) are left out of the English, as the Chinese output keeps them.
"""

from __future__ import annotations

import re
from functools import cache

from guard.data import data_dir, load_yaml

_NUMERALS = "零一二两三四五六七八九十百"
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"条": "Art. {}", "款": "para. {}", "项": "item {}"}
_ARTICLE = re.compile(rf"第([{_NUMERALS}]+|\d+)([条款项])")
_CHINESE_NOTE = re.compile(r"（[^）]*）|\([^)]*[\u4e00-\u9fff][^)]*\)")
_SEED_HEADING = re.compile(rf"^([{_NUMERALS}]+)、[^（(]*")
_PUNCTUATION = {"、": ", ", "，": ", ", "；": "; ", "：": ": "}


def chinese_number(text: str) -> int:
    """一 → 1, 十二 → 12, 五十七 → 57, 一百零二 → 102 (the article numbers laws use)."""
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char == "十":
            total, current = total + (current or 1) * 10, 0
        elif char == "百":
            total, current = total + (current or 1) * 100, 0
    return total + current


@cache
def _phrases() -> tuple[tuple[str, str], ...]:
    with (data_dir("rules") / "sections_en.yaml").open(encoding="utf-8") as fh:
        phrases = load_yaml(fh)["phrases"]
    return tuple(sorted(((str(k), str(v)) for k, v in phrases.items()), key=lambda kv: -len(kv[0])))


def _article(match: re.Match[str]) -> str:
    number = match.group(1)
    return " " + _UNITS[match.group(2)].format(number if number.isdigit() else chinese_number(number))


def section_en(section: str | None) -> str | None:
    """A citation section as an English reader needs it; ``None`` stays ``None``."""
    if section is None:
        return None
    text = _CHINESE_NOTE.sub("", section)
    for chinese, english in _phrases():
        text = text.replace(chinese, f" {english} ")
    text = _SEED_HEADING.sub(lambda m: f"seed section {chinese_number(m.group(1))}", text)
    text = _ARTICLE.sub(_article, text)
    for chinese, english in _PUNCTUATION.items():
        text = text.replace(chinese, english)
    text = re.sub(r"\s+([,;:])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()
