"""A workbook a merchant can filter and hand on: one sheet of findings, one of input problems."""

from __future__ import annotations

import io

from guard.findings import Report
from guard.report.text import TIER_ZH
from guard.rules.schema import TIERS  # worst first

_HEADERS = {
    "zh": (("商品", "等级", "规则", "主题", "问题", "修改建议", "处罚", "位置", "依据"),
           ("文件", "位置", "字段", "列", "记录", "问题")),
    "en": (("product", "tier", "rule", "topic", "message", "fix", "penalty", "location", "sources"),
           ("file", "location", "path", "column", "record", "problem")),
}


def render_xlsx(report: Report, lang: str = "zh") -> bytes:
    """The workbook's bytes; findings sorted worst first, then by product."""
    from openpyxl import Workbook  # imported only when a workbook is written
    from openpyxl.utils import get_column_letter

    finding_headers, problem_headers = _HEADERS[lang]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题" if lang == "zh" else "findings"
    sheet.append(finding_headers)
    for f in sorted(report.findings, key=lambda f: (TIERS.index(f.tier), f.product or f.subject, f.rule)):
        sources = "; ".join(f"{s.title} {s.section or ''}".strip() for s in f.sources)
        tier = TIER_ZH[f.tier] if lang == "zh" else f.tier
        where = f"{f.file or ''}:{f.path}" + (f":{f.line}:{f.column}" if f.line is not None else "")
        sheet.append((f.product or f.subject, tier, f.rule, f.topic, f.message, f.fix, f.penalty, where, sources))
    problems = workbook.create_sheet("输入问题" if lang == "zh" else "input problems")
    problems.append(problem_headers)
    for p in (*report.problems, *report.warnings):
        message = (p.message_zh or p.message) if lang == "zh" else p.message
        problems.append((p.file, p.location, p.path, p.column or "", p.record or "", message))
    for ws in (sheet, problems):
        ws.auto_filter.ref = ws.dimensions
        ws.freeze_panes = "A2"
        for index, width in enumerate((14, 8, 12, 12, 60, 40, 24, 36, 40)[: ws.max_column], start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
