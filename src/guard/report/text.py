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


def group_key(finding: Finding) -> tuple[str, str]:
    """The group a catalog finding is listed under: its product, else its promotion or room."""
    if finding.product is not None:
        return "product", finding.product
    kind, _, rest = finding.subject.partition(":")
    return kind, rest.split("/")[0]


def is_catalog(finding: Finding) -> bool:
    return finding.subject.startswith(_CATALOG_SUBJECTS)


def group_order(findings: list[Finding]) -> tuple[int, int]:
    """How groups are ordered (stable, so ties keep the order of each group's first finding)."""
    return min(TIERS.index(f.tier) for f in findings), -len(findings)


def finding_order(finding: Finding) -> tuple[int, str]:
    """How the findings of one group are ordered (stable, so ties keep the input order)."""
    return TIERS.index(finding.tier), finding.rule


def group_header(kind: str, name: str, tiers: list[str], lang: str = "zh") -> str:
    """A group's heading line: what it is and its findings counted by tier (``tiers``: one per finding)."""
    tally: dict[str, int] = {}
    for tier in tiers:
        tally[tier] = tally.get(tier, 0) + 1
    if lang == "zh":
        counts = "，".join(f"{TIER_ZH[t]} {tally[t]}" for t in TIERS if t in tally)
        return f"{_GROUP_ZH.get(kind, kind)} {name}（{len(tiers)} 个问题：{counts}）\n"
    counts = ", ".join(f"{tally[t]} {t}" for t in TIERS if t in tally)
    return f"{kind} {name} ({len(tiers)} findings: {counts})\n"


def grouped_line(f: Finding, lang: str = "zh", verbose: bool = False) -> str:
    """One finding under its group's heading (two lines when ``verbose``)."""
    labels = _LABELS[lang]
    tier = TIER_ZH[f.tier] if lang == "zh" else f.tier
    colon = "：" if lang == "zh" else ": "
    line = f"  [{tier}] {f.rule} {f.message} {labels['fix']}{colon}{f.fix}\n"
    if verbose:
        sources = "; ".join(f"{s.title}{' ' + s.section if s.section else ''} [{s.confidence}]" for s in f.sources)
        line += f"      {location(f)} · {f.penalty} · {labels['source']}: {sources}\n"
    return line


def render_text(report: Report, lang: str = "zh", verbose: bool = False) -> str:
    """Catalog findings grouped by product (then promotion, room), worst first, one line each;
    script findings in the order of the text. ``verbose`` adds each finding's location and sources."""
    if not report.findings or not all(is_catalog(f) for f in report.findings):
        return "".join(render_finding(f, lang) for f in report.findings)
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        groups.setdefault(group_key(finding), []).append(finding)
    ordered = sorted(groups.items(), key=lambda item: group_order(item[1]))
    out = []
    for (kind, name), findings in ordered:
        findings.sort(key=finding_order)
        out.append(group_header(kind, name, [f.tier for f in findings], lang))
        out.extend(grouped_line(f, lang, verbose) for f in findings)
    return "".join(out)


def summary_line(report: Report, lang: str = "en") -> str:
    s = report.summary
    counts = report.counts()
    if lang == "zh":
        tiers = "，".join(f"{TIER_ZH[t]} {counts[t]}" for t in TIERS if counts.get(t))
        warned = f"，提示 {len(report.warnings)} 条" if report.warnings else ""
        return (f"guard：读取 {s.read} 条记录，检查 {s.checked} 条，拒收 {s.rejected} 条{warned}；"
                f"发现问题 {report.total()} 个（{tiers or '无'}）；引擎 {report.engine}")
    tiers = ", ".join(f"{counts[t]} {t}" for t in TIERS if counts.get(t))
    return (
        f"guard: {s.read} records read, {s.checked} checked, {s.rejected} rejected; "
        f"{report.total()} findings ({tiers or 'none'}); engine {report.engine}"
    )
