"""Human-readable text, one finding per block, like a linter."""

from __future__ import annotations

from guard.findings import Finding, Report
from guard.rules.schema import TIERS  # worst first

TIER_ZH = {"severe": "严重", "general": "一般", "minor": "轻微", "info": "提示"}  # the tiers as a merchant reads them
_LABELS = {
    "zh": {"fix": "修改", "source": "依据", "default": "可配置默认值，非法律规定"},
    "en": {"fix": "fix", "source": "source", "default": "configurable default, not law"},
}


def location(finding: Finding) -> str:
    """file:line:column for script text, file:path[:line:column] for catalog fields."""
    where = finding.file or "<input>"
    script = finding.path == "$" or (finding.path.startswith("line ") and finding.path[5:].isdigit())
    if finding.line is not None and (finding.product is None or script):  # a script's claims name their product too
        return f"{where}:{finding.line}:{finding.column}"
    if finding.line is not None:
        return f"{where}:{finding.path}:{finding.line}:{finding.column}"
    return f"{where}:{finding.path}"


def render_finding(finding: Finding, lang: str = "zh") -> str:
    labels = _LABELS[lang]
    sources = "; ".join(
        f"{s.title}{' ' + s.section if s.section else ''} [{s.confidence}]" for s in finding.sources
    )
    default = f" ({labels['default']})" if finding.configurable_default else ""
    tier = TIER_ZH.get(finding.tier, finding.tier) if lang == "zh" else finding.tier
    return (
        f"{location(finding)}: {finding.rule} [{tier} · {finding.penalty}] {finding.message}{default}\n"
        f"    {labels['fix']}: {finding.fix}\n"
        f"    {labels['source']}: {sources}\n"
    )


_CATALOG_SUBJECTS = ("product:", "promotion:", "room:")
_GROUP_ZH = {"product": "商品", "promotion": "活动", "room": "直播间"}


def _group_key(finding: Finding) -> tuple[str, str]:
    if finding.product is not None:
        return "product", finding.product
    kind, _, rest = finding.subject.partition(":")
    return kind, rest.split("/")[0]


def render_text(report: Report, lang: str = "zh", verbose: bool = False) -> str:
    """Catalog findings grouped by product (then promotion, room), worst first, one line each;
    script findings in the order of the text. ``verbose`` adds each finding's location and sources."""
    if not report.findings or not all(f.subject.startswith(_CATALOG_SUBJECTS) for f in report.findings):
        return "".join(render_finding(f, lang) for f in report.findings)
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        groups.setdefault(_group_key(finding), []).append(finding)
    ordered = sorted(groups.items(), key=lambda item: (min(TIERS.index(f.tier) for f in item[1]), -len(item[1])))
    labels = _LABELS[lang]
    out = []
    for (kind, name), findings in ordered:
        findings.sort(key=lambda f: (TIERS.index(f.tier), f.rule))
        tally = {}
        for f in findings:
            tally[f.tier] = tally.get(f.tier, 0) + 1
        if lang == "zh":
            counts = "，".join(f"{TIER_ZH[t]} {tally[t]}" for t in TIERS if t in tally)
            out.append(f"{_GROUP_ZH.get(kind, kind)} {name}（{len(findings)} 个问题：{counts}）\n")
        else:
            counts = ", ".join(f"{tally[t]} {t}" for t in TIERS if t in tally)
            out.append(f"{kind} {name} ({len(findings)} findings: {counts})\n")
        for f in findings:
            tier = TIER_ZH[f.tier] if lang == "zh" else f.tier
            colon = "：" if lang == "zh" else ": "
            out.append(f"  [{tier}] {f.rule} {f.message} {labels['fix']}{colon}{f.fix}\n")
            if verbose:
                sources = "; ".join(f"{s.title}{' ' + s.section if s.section else ''} [{s.confidence}]" for s in f.sources)
                out.append(f"      {location(f)} · {f.penalty} · {labels['source']}: {sources}\n")
    return "".join(out)


def summary_line(report: Report, lang: str = "en") -> str:
    s = report.summary
    counts = report.counts()
    if lang == "zh":
        tiers = "，".join(f"{TIER_ZH[t]} {counts[t]}" for t in TIERS if counts.get(t))
        warned = f"，提示 {len(report.warnings)} 条" if report.warnings else ""
        return (f"guard：读取 {s.read} 条记录，检查 {s.checked} 条，拒收 {s.rejected} 条{warned}；"
                f"发现问题 {len(report.findings)} 个（{tiers or '无'}）；引擎 {report.engine}")
    tiers = ", ".join(f"{counts[t]} {t}" for t in TIERS if counts.get(t))
    return (
        f"guard: {s.read} records read, {s.checked} checked, {s.rejected} rejected; "
        f"{len(report.findings)} findings ({tiers or 'none'}); engine {report.engine}"
    )
