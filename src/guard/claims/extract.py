"""Claims a host makes about price, discount, stock, time limits, gifts and lotteries, with offsets.

Each claim is found by a pattern over the raw line (full-width digits and letters folded one to one,
so offsets stay the line's own) and carries the value the host stated: an amount in fen, a share
paid in basis points, a count, or a time limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from guard.claims.numbers import NUMBER, parse_amount, parse_count, parse_discount

_CN_DIGIT = "一二两三四五六七八九"
# An amount as said: ¥59.9, 59.9元, 九十九, 9块9 (a bare 毛 digit after 块 unless a measure word follows)
AMOUNT = rf"[¥￥]?{NUMBER}(?:块钱?(?:[{_CN_DIGIT}\d](?![件个份盒瓶袋支套斤]))?[毛角]?|元)?"
# A bare number (no ¥, 元 or 块) is not money when a unit of time or quantity follows: 只要3天, 只需两步
_NOT_MONEY = r"(?![\d.零〇一二两三四五六七八九十百千万天件个份盒瓶袋支套斤克分秒次步年月周号倍%折小钟点层位人])"
_FILLER = r"(?:[就都才只是要也却为：:]|只要|只需|仅需|仅售|不到|\s)*"
_UNIT = r"[件单份个套盒瓶支袋台部张]"


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str  # price | reference | discount | cut | scarcity | limited | urgent | deadline | gift | lottery
    start: int
    end: int
    text: str  # the span as spoken
    amount_fen: int | None = None  # price, reference, cut; a lottery prize's stated value
    share_bp: int | None = None  # discount: the share paid (五折 = 5000)
    count: int | None = None  # scarcity, limited
    minutes: int | None = None  # deadline: 倒计时N分钟
    deadline: str | None = None  # deadline: tonight | tomorrow_price_back | minutes
    item: str | None = None  # gift or lottery prize as named


@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]


def _p(kind: str, pattern: str) -> _Pattern:
    return _Pattern(kind, re.compile(pattern))


PATTERNS = (
    _p("reference", rf"(?:原价|专柜价|划线价|市场价|吊牌价|日常价|平时价|官网价|线下价){_FILLER}(?P<amount>{AMOUNT})"),
    _p("price", rf"(?:到手价?|直播间价?|秒杀价|券后价?|福利价|活动价|现价|特价|只要|只需|仅需|仅售|今天只要|现在只要){_FILLER}"
                rf"(?P<amount>{AMOUNT}){_NOT_MONEY}"),
    _p("discount", rf"(?:打|直接|全场)?(?P<share>\d(?:\.\d)?|[{_CN_DIGIT}]{{1,2}}(?:点[{_CN_DIGIT}])?)折"),
    _p("cut", rf"(?:直降|立减|立省|直减|狂降){_FILLER}(?P<amount>{AMOUNT})"),
    _p("scarcity", rf"(?:只剩|仅剩|还剩|就剩)(?:下)?(?:最后)?(?P<count>{NUMBER}){_UNIT}"),
    _p("scarcity", rf"最后(?P<count>{NUMBER}){_UNIT}"),
    _p("limited", rf"限量(?P<count>{NUMBER}){_UNIT}?"),
    _p("urgent", r"库存告急|马上(?:就要)?售罄|快(?:要)?抢光了?|就要断货了?"),
    _p("deadline", r"(?P<tonight>仅限今[晚天日]|只有今[晚天]|今天最后一天|今晚截止|过了今[晚天]就没有了?|就今[晚天]这一场)"),
    _p("deadline", r"(?P<tomorrow>(?:明天|过了今[晚天])就?(?:恢复原价|涨价|回到原价|恢复日常价))"),
    _p("deadline", rf"倒计时(?P<minutes>{NUMBER})分钟"),
    _p("lottery", rf"抽(?:[一两1-9]|\d+)[台个部只份张名位]?(?:价值(?P<amount>{AMOUNT}))?的?(?P<item>[^，。！？,.!?\s]{{1,12}})"),
    _p("lottery", r"抽奖(?:送|赢)?(?P<item>[^，。！？,.!?\s]{0,12})"),
    _p("gift", r"(?:加赠|赠送|还送|再送|买就送|免费送)(?P<item>[^，。！？,.!?\s]{1,12})"),
)
_FOLD = {**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "￥": "¥"}
_FOLD_TABLE = str.maketrans(_FOLD)


def extract(line: str, offset: int = 0) -> Iterator[Claim]:
    """Every claim in one line, in order of position; ``offset`` is added to start and end."""
    text = line.translate(_FOLD_TABLE)
    found: list[Claim] = []
    taken: list[tuple[int, int]] = []
    for pattern in PATTERNS:
        for match in pattern.regex.finditer(text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue  # 原价199 is a reference, not also a price
            claim = _claim(pattern.kind, match, offset)
            if claim is not None:
                found.append(claim)
                taken.append((start, end))
    yield from sorted(found, key=lambda c: c.start)


def _claim(kind: str, match: re.Match[str], offset: int) -> Claim | None:
    start, end = match.start() + offset, match.end() + offset
    spoken = match.group(0)
    groups = match.groupdict()
    if kind in ("price", "reference", "cut"):
        amount = parse_amount(groups["amount"])
        return Claim(kind, start, end, spoken, amount_fen=amount) if amount else None
    if kind == "discount":
        share = parse_discount(groups["share"])
        return Claim(kind, start, end, spoken, share_bp=share) if share else None
    if kind in ("scarcity", "limited"):
        count = parse_count(groups["count"])
        return Claim(kind, start, end, spoken, count=count) if count is not None else None
    if kind == "urgent":
        return Claim(kind, start, end, spoken)
    if kind == "deadline":
        if groups.get("minutes"):
            minutes = parse_count(groups["minutes"])
            return Claim(kind, start, end, spoken, minutes=minutes, deadline="minutes") if minutes else None
        return Claim(kind, start, end, spoken, deadline="tonight" if groups.get("tonight") else "tomorrow_price_back")
    if kind == "lottery":
        amount = parse_amount(groups["amount"]) if groups.get("amount") else None
        return Claim(kind, start, end, spoken, amount_fen=amount, item=groups["item"])
    return Claim(kind, start, end, spoken, item=groups.get("item"))
