"""Numbers as hosts say them: 九十九, 两百, 一千二, 1.2万, 九块九, 9块9, 3.9折, ¥59.9.

``parse_amount`` reads a money amount to fen; ``parse_count`` a whole count; ``NUMBER`` is the regular
expression of every supported numeral form, so extraction patterns and the parser agree.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
          "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN = "零〇一幺二两俩三四五六七八九十百千万"
# A numeral: Arabic (with a decimal point and an optional 万), or Chinese (with 点 for decimals).
NUMBER = rf"(?:\d+(?:\.\d+)?万?|[{_CN}]+(?:点[{_CN}]+)?)"
_ARABIC = re.compile(r"(\d+(?:\.\d+)?)(万?)$")
# 九块九 / 9块9 / 一百二十块五 / 9块9毛: yuan, then a bare jiao digit (or 毛/角)
_KUAI = re.compile(rf"({NUMBER})(?:块钱?|元)(?:([{_CN}]|\d)[毛角]?)?")


def chinese_int(text: str) -> int | None:
    """一千二 → 1200, 两百 → 200, 一百二 → 120, 一百零二 → 102, 十五 → 15, 三万五 → 35000, 九九 → 99."""
    if not text or any(ch not in DIGITS and ch not in UNITS for ch in text):
        return None
    if all(ch in DIGITS for ch in text):  # read digit by digit: 九九 = 99, 五零零 = 500
        return int("".join(str(DIGITS[ch]) for ch in text))
    total, section, digit, last_unit, zero = 0, 0, None, 1, False
    for ch in text:
        if ch in DIGITS:
            if DIGITS[ch] == 0:
                zero = True
            digit = DIGITS[ch]
            continue
        unit = UNITS[ch]
        if unit == 10000:
            total += (section + (digit or 0)) * 10000
            section, digit, last_unit, zero = 0, None, 10000, False
            continue
        if unit >= last_unit and section:  # 十 after 百 and the like is not a number
            return None
        section += (1 if digit is None else digit) * unit
        digit, last_unit, zero = None, unit, False
    if digit:  # a trailing digit right after a unit is one unit down (一百二 = 120), after 零 it is units
        section += digit if zero or last_unit == 10 else digit * (last_unit // 10)
    return total + section


def _number(text: str) -> Decimal | None:
    match = _ARABIC.match(text)
    if match:
        try:
            value = Decimal(match.group(1))
        except InvalidOperation:
            return None
        return value * 10000 if match.group(2) else value
    whole, _, fraction = text.partition("点")
    number = chinese_int(whole)
    if number is None:
        return None
    if fraction:
        if any(ch not in DIGITS for ch in fraction):
            return None
        return Decimal(f"{number}.{''.join(str(DIGITS[ch]) for ch in fraction)}")
    return Decimal(number)


def parse_amount(text: str) -> int | None:
    """A spoken or written amount in fen: 99, 九十九, 9块9, 九块九, ¥59.9, 59.9元, 1.2万, 一千二; None if not one."""
    text = text.strip().lstrip("¥￥").strip()
    kuai = _KUAI.fullmatch(text)
    if kuai:
        yuan = _number(kuai.group(1))
        jiao = kuai.group(2)
        fen = _to_fen(yuan) if yuan is not None else None
        if fen is None:
            return None
        return fen + (int(jiao) if jiao and jiao.isdigit() else DIGITS.get(jiao or "", 0)) * 10
    value = _number(text)
    return _to_fen(value) if value is not None else None


def _to_fen(value: Decimal) -> int | None:
    fen = value * 100
    if fen != fen.to_integral_value() or fen < 0:
        return None
    return int(fen)


def parse_count(text: str) -> int | None:
    """A whole count: 10, 十, 五百, 1.2万; None when it is not a whole number."""
    value = _number(text.strip())
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def parse_discount(text: str) -> int | None:
    """A 折 figure as the share paid, in basis points: 五 → 5000, 3.9 → 3900, 八五 → 8500, 七五 → 7500."""
    text = text.strip()
    if text and all(ch in DIGITS for ch in text) and len(text) == 2:  # 八五折 = 85 %
        return (DIGITS[text[0]] * 10 + DIGITS[text[1]]) * 100
    value = _number(text)
    if value is None or not (0 < value < 10):
        return None
    return int(value * 1000)
