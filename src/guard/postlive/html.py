"""The post-live report as one self-contained HTML page (inline CSS and SVG; no script, no network).

Charts where a person would rather look than read: conversion by SKU against the 3 % line, bounce
over time against the 50 % line, the complaint rate against the merchant's previous lives, and the
SLA breaches on a timeline. Each chart is an ``<svg>`` with a ``data-chart`` name and its marks carry
``data-*`` values, so a browser test can check what is drawn.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from guard.postlive.report import LiveReport

WIDTH, BAR = 440, 24  # a narrow drawing, scaled up on a laptop and hardly down on a phone
RED, BLUE, GREY, AMBER = "#c62828", "#1565c0", "#9e9e9e", "#ef6c00"

_TEXT = {
    "zh": {"title": "直播复盘报告", "live": "直播", "window": "时段", "viewers": "观看人数（UV）", "orders": "成交订单",
           "bounce": "跳出率", "conversion": "转化率", "complaint": "客诉率", "advice": "优化建议", "none": "各项指标都在种子给出的范围内。",
           "sku_chart": "各商品转化率（订单 / 点击），虚线为 3%", "bounce_chart": "每分钟跳出率，虚线为 50%",
           "complaint_chart": "客诉率：本场与此前各场", "sla_chart": "时限超时（SLA）时间线", "prices": "本场改价记录",
           "no_sla": "本场没有超时。", "no_prices": "本场没有改价。", "this_live": "本场", "product": "商品", "at": "时间",
           "from_to": "原价 → 新价（元）", "operator": "操作人", "reason": "原因", "problems": "未能读取的数据行",
           "no_history": "数据库中还没有此前的直播可比较。", "no_minutes": "导出中没有按分钟的数据。", "no_skus": "导出中没有按商品的数据。"},
    "en": {"title": "Post-live report", "live": "Live", "window": "Window", "viewers": "Viewers (UV)", "orders": "Paid orders",
           "bounce": "Bounce rate", "conversion": "Conversion", "complaint": "Complaint rate", "advice": "Advice",
           "none": "Every metric is within the seed's thresholds.", "sku_chart": "Conversion by SKU (orders / clicks); dashed: 3 %",
           "bounce_chart": "Bounce rate per minute; dashed: 50 %", "complaint_chart": "Complaint rate: this live and the ones before",
           "sla_chart": "SLA breaches on a timeline", "prices": "Price changes during the live", "no_sla": "No deadline was missed.",
           "no_prices": "No price was changed.", "this_live": "this live", "product": "Product", "at": "Time",
           "from_to": "Old → new (yuan)", "operator": "Operator", "reason": "Reason", "problems": "Rows that could not be read",
           "no_history": "No earlier live in the database to compare with.", "no_minutes": "The export has no per-minute rows.",
           "no_skus": "The export has no per-SKU rows."},
}


def _pct(bp: int | None) -> str:
    return "—" if bp is None else f"{bp / 100:.1f}%"


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:.2f}"


def _sku_chart(report: LiveReport, t: dict[str, str]) -> str:
    skus = [s for s in report.skus if s["conversion_bp"] is not None]
    if not skus:
        return f"<p class='empty'>{t['no_skus']}</p>"
    top = max(400, max(s["conversion_bp"] for s in skus) * 6 // 5)
    label_w, plot_w = 130, WIDTH - 190
    height = BAR * len(skus) + 30
    parts = [f"<svg data-chart='sku-conversion' role='img' aria-label='{escape(t['sku_chart'])}' "
             f"viewBox='0 0 {WIDTH} {height}' width='100%'>"]
    for index, sku in enumerate(sorted(skus, key=lambda s: s["conversion_bp"])):
        y = 10 + index * BAR
        width = plot_w * sku["conversion_bp"] // top
        colour = RED if sku["conversion_bp"] < 300 else BLUE
        label = escape(str(sku["name"] or sku["sku"])[:9])
        parts.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>{label}</text>"
                     f"<rect data-sku='{escape(sku['sku'])}' data-value-bp='{sku['conversion_bp']}' x='{label_w}' y='{y}' "
                     f"width='{max(width, 1)}' height='{BAR - 6}' fill='{colour}'/>"
                     f"<text x='{label_w + width + 4}' y='{y + 15}'>{_pct(sku['conversion_bp'])}</text>")
    line_x = label_w + plot_w * 300 // top
    parts.append(f"<line data-threshold-bp='300' x1='{line_x}' x2='{line_x}' y1='4' y2='{height - 18}' stroke='{GREY}' "
                 f"stroke-dasharray='4 3'/><text x='{line_x}' y='{height - 4}' text-anchor='middle'>3%</text></svg>")
    return "".join(parts)


def _bounce_chart(report: LiveReport, t: dict[str, str]) -> str:
    points = [(m["at"], m["bounce_rate_bp"]) for m in report.minutes if m["bounce_rate_bp"] is not None]
    if not points:
        return f"<p class='empty'>{t['no_minutes']}</p>"
    height, left, right, top_pad, bottom = 220, 40, 16, 10, 30
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    step = plot_w / max(len(points) - 1, 1)

    def y(bp: int) -> float:
        return top_pad + plot_h * (1 - bp / 10000)

    coords = [(left + i * step, y(bp)) for i, (_, bp) in enumerate(points)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{yy:.1f}" for i, (x, yy) in enumerate(coords))
    parts = [f"<svg data-chart='bounce-over-time' role='img' aria-label='{escape(t['bounce_chart'])}' "
             f"viewBox='0 0 {WIDTH} {height}' width='100%'>",
             f"<line data-threshold-bp='5000' x1='{left}' x2='{WIDTH - right}' y1='{y(5000):.1f}' y2='{y(5000):.1f}' "
             f"stroke='{GREY}' stroke-dasharray='4 3'/><text x='{left - 4}' y='{y(5000) + 4:.1f}' text-anchor='end'>50%</text>",
             f"<text x='{left - 4}' y='{y(10000) + 8:.1f}' text-anchor='end'>100%</text>"
             f"<text x='{left - 4}' y='{y(0):.1f}' text-anchor='end'>0</text>",
             f"<path d='{path}' fill='none' stroke='{BLUE}' stroke-width='2'/>"]
    for (at, bp), (x, yy) in zip(points, coords):
        colour = RED if bp > 5000 else BLUE
        parts.append(f"<circle data-at='{escape(at)}' data-value-bp='{bp}' cx='{x:.1f}' cy='{yy:.1f}' r='3' fill='{colour}'/>")
    first, last = points[0][0][11:16], points[-1][0][11:16]
    parts.append(f"<text x='{left}' y='{height - 8}'>{first}</text>"
                 f"<text x='{WIDTH - right}' y='{height - 8}' text-anchor='end'>{last}</text></svg>")
    return "".join(parts)


def _complaint_chart(report: LiveReport, t: dict[str, str]) -> str:
    bars = [(h["live"], h["complaint_rate_bp"], False) for h in report.history if h["complaint_rate_bp"] is not None]
    if report.rates["complaint"] is not None:
        bars.append((report.live, report.rates["complaint"], True))
    if len(bars) < 2:  # nothing to compare with: say so, and the rate is in the tiles above
        return f"<p class='empty'>{t['no_history']}</p>"
    top = max(100, max(bp for _, bp, _ in bars) * 6 // 5)
    height, bottom = 200, 40
    slot = (WIDTH - 40) / len(bars)
    parts = [f"<svg data-chart='complaints-by-live' role='img' aria-label='{escape(t['complaint_chart'])}' "
             f"viewBox='0 0 {WIDTH} {height}' width='100%'>"]
    for index, (live, bp, current) in enumerate(bars):
        bar_h = (height - bottom - 16) * bp / top
        x = 30 + index * slot + slot * 0.2
        parts.append(f"<rect data-live='{escape(live)}' data-value-bp='{bp}' data-current='{str(current).lower()}' "
                     f"x='{x:.1f}' y='{height - bottom - bar_h:.1f}' width='{slot * 0.6:.1f}' height='{max(bar_h, 1):.1f}' "
                     f"fill='{AMBER if current else GREY}'/>"
                     f"<text x='{x + slot * 0.3:.1f}' y='{height - bottom - bar_h - 4:.1f}' text-anchor='middle'>{_pct(bp)}</text>"
                     f"<text x='{x + slot * 0.3:.1f}' y='{height - bottom + 16}' text-anchor='middle'>{escape(live[-8:])}</text>"
                     + (f"<text x='{x + slot * 0.3:.1f}' y='{height - bottom + 32}' text-anchor='middle'>{t['this_live']}</text>"
                        if current else ""))
    parts.append("</svg>")
    return "".join(parts)


def _order(breach: dict[str, Any]) -> str:
    """order:DD1002/oversold_refund → DD1002"""
    return str(breach.get("subject") or "").removeprefix("order:").split("/", 1)[0]


def _sla_chart(report: LiveReport, t: dict[str, str]) -> str:
    if not report.sla:
        return f"<p class='empty'>{t['no_sla']}</p>"
    times = [datetime.fromisoformat(s["at"]) for s in report.sla]
    start = min([report.start] + times if report.start else times)
    end = max([report.end] + times if report.end else times)
    span = max((end - start).total_seconds(), 60)
    height, left, right = 60 + 18 * len(report.sla), 20, 20
    parts = [f"<svg data-chart='sla-timeline' role='img' aria-label='{escape(t['sla_chart'])}' "
             f"viewBox='0 0 {WIDTH} {height}' width='100%'>",
             f"<line x1='{left}' x2='{WIDTH - right}' y1='30' y2='30' stroke='{GREY}'/>",
             f"<text x='{left}' y='20'>{start.strftime('%m-%d %H:%M')}</text>"
             f"<text x='{WIDTH - right}' y='20' text-anchor='end'>{end.strftime('%m-%d %H:%M')}</text>"]
    for index, (breach, at) in enumerate(zip(report.sla, times)):
        x = left + (WIDTH - left - right) * (at - start).total_seconds() / span
        parts.append(f"<circle data-rule='{escape(breach['rule'])}' data-at='{escape(breach['at'])}' cx='{x:.1f}' cy='30' r='5' "
                     f"fill='{RED}'/><text x='{left}' y='{52 + 18 * index}'>{at.strftime('%m-%d %H:%M')} {escape(breach['rule'])} "
                     f"{escape(_order(breach))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: LiveReport, lang: str = "zh") -> str:
    t = _TEXT[lang]
    window = (f"{report.start.strftime('%Y-%m-%d %H:%M')} – {report.end.strftime('%H:%M')}"
              if report.start and report.end else "—")
    tiles = [(t["viewers"], str(report.totals["viewers"])), (t["orders"], str(report.totals["orders"])),
             (t["bounce"], _pct(report.rates["bounce"])), (t["conversion"], _pct(report.rates["conversion"])),
             (t["complaint"], _pct(report.rates["complaint"]))]
    advice = "".join(f"<li data-rule='{f.rule}'><strong>{escape(f.rule)}</strong> {escape(f.message)}<br>"
                     f"<span class='fix'>{escape(f.fix)}</span></li>" for f in report.advice)
    prices = "".join(f"<tr><td>{escape(p['product'])}</td><td>{escape(p['at'][11:16])}</td>"
                     f"<td>{_yuan(p['old_fen'])} → {_yuan(p['new_fen'])}</td><td>{escape(p['operator'] or '—')}</td>"
                     f"<td>{escape(p['reason'] or '—')}</td></tr>" for p in report.price_changes)
    problems = "".join(f"<li>{escape(p)}</li>" for p in report.problems)
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t['title']} · {escape(report.live)}</title>
<style>
body{{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:720px;padding:16px;color:#212121}}
h1{{font-size:1.4em}} h2{{font-size:1.1em;margin-top:1.6em}} svg{{max-width:560px;display:block}} svg text{{font-size:13px;fill:#424242}}
.tiles{{display:flex;flex-wrap:wrap;gap:8px}} .tile{{flex:1 1 120px;border:1px solid #e0e0e0;border-radius:6px;padding:8px}}
.tile b{{display:block;font-size:1.3em}} li{{margin:.5em 0}} .fix{{color:#616161}} .empty{{color:#757575}}
table{{border-collapse:collapse;width:100%}} td,th{{border-bottom:1px solid #eee;padding:4px;text-align:left}}
</style></head><body>
<h1>{t['title']}</h1>
<p>{t['live']} <b>{escape(report.live)}</b> · {t['window']} {escape(window)}</p>
<div class="tiles">{''.join(f"<div class='tile'>{name}<b>{value}</b></div>" for name, value in tiles)}</div>
<h2>{t['advice']}</h2>
{f'<ul id="advice">{advice}</ul>' if advice else f"<p id='advice'>{t['none']}</p>"}
<h2>{t['sku_chart']}</h2>{_sku_chart(report, t)}
<h2>{t['bounce_chart']}</h2>{_bounce_chart(report, t)}
<h2>{t['complaint_chart']}</h2>{_complaint_chart(report, t)}
<h2>{t['sla_chart']}</h2>{_sla_chart(report, t)}
<h2>{t['prices']}</h2>
{f"<table><tr><th>{t['product']}</th><th>{t['at']}</th><th>{t['from_to']}</th><th>{t['operator']}</th><th>{t['reason']}</th></tr>{prices}</table>" if prices else f"<p class='empty'>{t['no_prices']}</p>"}
{f"<h2>{t['problems']}</h2><ul>{problems}</ul>" if problems else ""}
</body></html>
"""


def render_text(report: LiveReport, lang: str = "zh") -> str:
    t = _TEXT[lang]
    lines = [f"{t['title']} {report.live}",
             f"  {t['viewers']} {report.totals['viewers']} · {t['orders']} {report.totals['orders']} · "
             f"{t['bounce']} {_pct(report.rates['bounce'])} · {t['conversion']} {_pct(report.rates['conversion'])} · "
             f"{t['complaint']} {_pct(report.rates['complaint'])}"]
    lines += [f"  [{f.rule}] {f.message}" for f in report.advice] or [f"  {t['none']}"]
    lines += [f"  SLA {s['at'][11:16]} {s['rule']} {s.get('subject') or ''}" for s in report.sla]
    lines += [f"  {t['prices']}: {p['product']} {p['at'][11:16]} {_yuan(p['old_fen'])} → {_yuan(p['new_fen'])}"
              for p in report.price_changes]
    return "\n".join(lines) + "\n"

