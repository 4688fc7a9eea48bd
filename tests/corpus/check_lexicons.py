"""Validate lexicons/ and offer the shared loader used by make_clean_corpus.py.

Run ``python3 tests/corpus/check_lexicons.py`` from anywhere: it checks every lexicon file
against the documented schema (lexicons/README.md), compiles every exemption regex, and prints a
count summary. Exit status 1 means at least one problem was printed.

Stdlib plus PyYAML only, so it runs before the guard package is installed.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LEXICON_DIR = REPO_ROOT / "lexicons"

FAMILIES = ("absolute", "medical", "unverifiable", "inducement", "diversion", "disclosure",
            "disparagement", "guarantee", "counterfeit")
TIERS = ("severe", "general", "minor", "info")
MODES = ("word", "prefix", "substring")
PLATFORMS = ("wechat", "douyin", "taobao")
CONFIDENCES = ("H", "M", "L")
COMMUNITY_SOURCES = ("R-JYC", "R-BNG")
SOURCES = (
    "seed-live-listing", "L-AD", "L-ABS", "L-IDN", "L-IAD", "L-MMBJ", "L-PROMO", "L-AUC",
    "L-ECL", "L-CPL", "L-LSE", "L-LSM", "L-FSL", "L-COS", "L-MDR", "L-DAL", "R-JYC", "R-BNG",
)
CATEGORIES = (
    "general", "apparel", "electronics", "home", "fresh_produce", "prepackaged_food", "food",
    "health_food", "infant_formula", "cosmetics", "special_cosmetics", "medical_device_1",
    "medical_device_2", "medical_device_3", "otc_drug", "rx_drug", "special_control_drug",
    "cross_border", "virtual_service",
)
EXEMPTION_KINDS = (
    "usage_tip", "self_comparison", "standard_grade", "trademark", "service_attitude",
    "objective_fact",
)
ENTRY_KEYS = {"term", "mode", "tier", "note", "rewrites", "allowed_categories", "platforms", "cite"}
REQUIRED_ENTRY_KEYS = {"term", "note", "rewrites"}
FILE_KEYS = {"family", "default_tier", "cite", "entries"}
OPTIONAL_FILE_KEYS = {"patterns"}
PATTERN_KEYS = {"name", "pattern", "anchors", "note", "rewrites", "tier", "platforms", "allowed_categories", "cite"}
SENSE_KINDS = ("feeling", "quantity", "ordinal", "specification", "set_phrase", "name", "negation", "reported", "other")
SENSE_KEYS = {"id", "kind", "verdict", "terms", "families", "before", "after", "reason"}


def fold(text: str) -> str:
    """The normalisation used for duplicate and corpus checks: NFKC width folding plus casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


_CJK_REPEAT = re.compile(r"([\u4e00-\u9fff])\1+")


def squash(text: str) -> str:
    """Collapse runs of one repeated CJK character, as the matcher does (最最最好 -> 最好)."""
    return _CJK_REPEAT.sub(r"\1", text)


@dataclass(frozen=True)
class Term:
    term: str
    family: str
    mode: str
    tier: str


@dataclass
class Lexicon:
    terms: list[Term] = field(default_factory=list)
    allow_phrases: list[str] = field(default_factory=list)
    exemptions: list[dict] = field(default_factory=list)


def load_lexicon(lexicon_dir: Path = LEXICON_DIR) -> Lexicon:
    """Load terms, allow phrases and exemptions without validating them."""
    lexicon = Lexicon()
    for family in FAMILIES:
        data = yaml.safe_load((lexicon_dir / "terms" / f"{family}.yaml").read_text(encoding="utf-8"))
        for entry in data["entries"]:
            lexicon.terms.append(Term(
                term=str(entry["term"]),
                family=family,
                mode=entry.get("mode", "word"),
                tier=entry.get("tier", data["default_tier"]),
            ))
    allow = yaml.safe_load((lexicon_dir / "allow.yaml").read_text(encoding="utf-8"))
    lexicon.allow_phrases = [str(entry["phrase"]) for entry in allow["entries"]]
    exemptions = yaml.safe_load((lexicon_dir / "exemptions.yaml").read_text(encoding="utf-8"))
    lexicon.exemptions = list(exemptions["entries"])
    return lexicon


def _occurrences(haystack: str, needle: str):
    start = haystack.find(needle)
    while start != -1:
        yield start, start + len(needle)
        start = haystack.find(needle, start + 1)


def uncovered_hits(text: str, terms: list[Term], allow_phrases: list[str]) -> list[tuple[Term, int]]:
    """Plain substring hits of ``terms`` in ``text`` that no allow-phrase occurrence covers.

    An allow phrase suppresses a hit only when the hit lies entirely inside one of the phrase's
    occurrences, so a longer banned term that overlaps an allow phrase still counts.
    """
    folded = fold(text)
    covered = [span for phrase in allow_phrases for span in _occurrences(folded, fold(phrase))]
    hits = []
    for term in terms:
        for start, end in _occurrences(folded, fold(term.term)):
            if not any(a <= start and end <= b for a, b in covered):
                hits.append((term, start))
    return hits


def _check_cite(cites, where: str, problems: list[str]) -> None:
    if not isinstance(cites, list) or not cites:
        problems.append(f"{where}: cite must be a non-empty list")
        return
    for cite in cites:
        if not isinstance(cite, dict) or set(cite) != {"source", "section", "confidence"}:
            problems.append(f"{where}: cite item needs exactly source, section, confidence: {cite!r}")
            continue
        if cite["source"] not in SOURCES:
            problems.append(f"{where}: unknown cite source {cite['source']!r}")
        if cite["confidence"] not in CONFIDENCES:
            problems.append(f"{where}: confidence must be H, M or L: {cite!r}")
        if cite["source"] in COMMUNITY_SOURCES and cite["confidence"] == "H":
            problems.append(f"{where}: community source {cite['source']} cannot carry confidence H")
        if not str(cite["section"]).strip():
            problems.append(f"{where}: empty cite section")


def _check_term_text(term: str, where: str, problems: list[str]) -> None:
    if term != term.strip() or not term:
        problems.append(f"{where}: term is empty or has surrounding spaces")
    if unicodedata.normalize("NFKC", term) != term:
        problems.append(f"{where}: term {term!r} is not NFKC-normal (write ASCII as plain ASCII)")
    for char in term:
        if not (char.isascii() and char.isprintable()) and not ("\u4e00" <= char <= "\u9fff"):
            problems.append(f"{where}: term {term!r} has unexpected character {char!r}")


_FULL_WIDTH_PUNCTUATION = "，！？；："


def _check_pattern_punctuation(pattern: str, where: str, problems: list[str]) -> None:
    """Text is matched after NFKC, which turns ，！？；： into ASCII: a pattern naming one must name both."""
    for char in _FULL_WIDTH_PUNCTUATION:
        if char in pattern and fold(char) not in pattern:
            problems.append(f"{where}: pattern has {char!r} but not {fold(char)!r}; normalised text holds only the latter")


def validate(lexicon_dir: Path = LEXICON_DIR) -> tuple[list[str], dict[str, int]]:
    """Return (problems, counts). An empty problem list means the lexicon is valid."""
    problems: list[str] = []
    counts: dict[str, int] = {}
    seen: dict[str, str] = {}
    pattern_names: set[str] = set()  # a sense may name a pattern: the matcher keys a pattern's hits by its name
    for family in FAMILIES:
        path = lexicon_dir / "terms" / f"{family}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            problems.append(f"{path}: cannot load: {error}")
            continue
        if not FILE_KEYS <= set(data) <= FILE_KEYS | OPTIONAL_FILE_KEYS:
            problems.append(f"{path.name}: top-level keys must be {sorted(FILE_KEYS)} (and optionally "
                            f"{sorted(OPTIONAL_FILE_KEYS)}), got {sorted(data)}")
        for index, pattern in enumerate(data.get("patterns") or []):
            where = f"{path.name} pattern {index} ({pattern.get('name')!r})"
            pattern_names.add(fold(str(pattern.get("name"))))
            if not {"name", "pattern", "anchors", "note", "rewrites"} <= set(pattern) <= PATTERN_KEYS:
                problems.append(f"{where}: keys {sorted(pattern)}")
            try:
                re.compile(str(pattern.get("pattern")))
            except re.error as error:
                problems.append(f"{where}: bad pattern: {error}")
            _check_pattern_punctuation(str(pattern.get("pattern")), where, problems)
            if pattern.get("tier", data.get("default_tier")) not in TIERS:
                problems.append(f"{where}: bad tier {pattern.get('tier')!r}")
        if data.get("family") != family:
            problems.append(f"{path.name}: family must be {family!r}")
        if data.get("default_tier") not in TIERS:
            problems.append(f"{path.name}: bad default_tier {data.get('default_tier')!r}")
        _check_cite(data.get("cite"), path.name, problems)
        entries = data.get("entries") or []
        counts[family] = len(entries)
        for index, entry in enumerate(entries):
            where = f"{path.name} entry {index} ({entry.get('term')!r})"
            keys = set(entry)
            if not REQUIRED_ENTRY_KEYS <= keys or not keys <= ENTRY_KEYS:
                problems.append(f"{where}: keys {sorted(keys)} (required {sorted(REQUIRED_ENTRY_KEYS)})")
            term = str(entry.get("term", ""))
            _check_term_text(term, where, problems)
            key = squash(fold(term))
            if len(term) > 1 and len(key) < 2:
                problems.append(f"{where}: term collapses to {key!r} once repeats are squashed")
            if key in seen:
                problems.append(f"{where}: duplicate of {seen[key]}")
            seen[key] = f"{family}:{term}"
            if entry.get("mode", "word") not in MODES:
                problems.append(f"{where}: bad mode {entry.get('mode')!r}")
            if entry.get("tier", data.get("default_tier")) not in TIERS:
                problems.append(f"{where}: bad tier {entry.get('tier')!r}")
            if not str(entry.get("note", "")).strip():
                problems.append(f"{where}: empty note")
            rewrites = entry.get("rewrites")
            if not isinstance(rewrites, list) or not rewrites or not all(str(r).strip() for r in rewrites):
                problems.append(f"{where}: rewrites must be a non-empty list of non-empty strings")
            for category in entry.get("allowed_categories", []):
                if category not in CATEGORIES:
                    problems.append(f"{where}: unknown category {category!r}")
            for platform in entry.get("platforms", PLATFORMS):
                if platform not in PLATFORMS:
                    problems.append(f"{where}: unknown platform {platform!r}")
            if "cite" in entry:
                _check_cite(entry["cite"], where, problems)

    lexicon = load_lexicon(lexicon_dir)
    term_keys = {fold(t.term) for t in lexicon.terms}

    for family in FAMILIES:
        data = yaml.safe_load((lexicon_dir / "terms" / f"{family}.yaml").read_text(encoding="utf-8"))
        for entry in data["entries"]:
            for rewrite in entry.get("rewrites", []):
                for hit, _ in uncovered_hits(str(rewrite), lexicon.terms, lexicon.allow_phrases):
                    problems.append(
                        f"{family}.yaml {entry['term']!r}: rewrite {rewrite!r} contains term {hit.term!r}")

    allow = yaml.safe_load((lexicon_dir / "allow.yaml").read_text(encoding="utf-8"))
    counts["allow"] = len(allow["entries"])
    seen_phrases: set[str] = set()
    for entry in allow["entries"]:
        phrase, contains = str(entry.get("phrase", "")), str(entry.get("contains", ""))
        where = f"allow.yaml {phrase!r}"
        if set(entry) != {"phrase", "contains", "note"}:
            problems.append(f"{where}: keys must be phrase, contains, note")
        if fold(phrase) in seen_phrases:
            problems.append(f"{where}: duplicate phrase")
        seen_phrases.add(fold(phrase))
        if fold(contains) not in term_keys:
            problems.append(f"{where}: contains {contains!r} is not a lexicon term")
        if fold(contains) not in fold(phrase):
            problems.append(f"{where}: phrase does not contain {contains!r}")
        if fold(phrase) in term_keys:
            problems.append(f"{where}: phrase is itself a lexicon term")
        if not str(entry.get("note", "")).strip():
            problems.append(f"{where}: empty note")

    exemptions = yaml.safe_load((lexicon_dir / "exemptions.yaml").read_text(encoding="utf-8"))
    counts["exemptions"] = len(exemptions["entries"])
    counts["exemption_patterns"] = 0
    seen_ids: set[str] = set()
    for entry in exemptions["entries"]:
        where = f"exemptions.yaml {entry.get('id')!r}"
        if set(entry) != {"id", "kind", "patterns", "terms", "reason", "cite"}:
            problems.append(f"{where}: keys must be id, kind, patterns, terms, reason, cite")
        if entry.get("id") in seen_ids:
            problems.append(f"{where}: duplicate id")
        seen_ids.add(entry.get("id"))
        if entry.get("kind") not in EXEMPTION_KINDS:
            problems.append(f"{where}: bad kind {entry.get('kind')!r}")
        for pattern in entry.get("patterns", []):
            counts["exemption_patterns"] += 1
            try:
                re.compile(pattern)
            except re.error as error:
                problems.append(f"{where}: pattern {pattern!r} does not compile: {error}")
        for term in entry.get("terms", []):
            if fold(str(term)) not in term_keys:
                problems.append(f"{where}: term {term!r} is not in the lexicon")
        reason = entry.get("reason") or {}
        if not (str(reason.get("zh", "")).strip() and str(reason.get("en", "")).strip()):
            problems.append(f"{where}: reason needs zh and en")
        _check_cite(entry.get("cite"), where, problems)
    senses_path = lexicon_dir / "senses.yaml"
    senses = yaml.safe_load(senses_path.read_text(encoding="utf-8")) if senses_path.exists() else {"entries": []}
    counts["senses"] = len(senses["entries"])
    for sense in senses["entries"]:
        where = f"senses.yaml {sense.get('id')!r}"
        if not {"id", "kind", "verdict", "reason"} <= set(sense) <= SENSE_KEYS or not (sense.get("terms") or sense.get("families")):
            problems.append(f"{where}: keys {sorted(sense)}")
        if sense.get("kind") not in SENSE_KINDS or sense.get("verdict") not in ("drop", "info", "claim"):
            problems.append(f"{where}: bad kind or verdict")
        for family in sense.get("families") or []:
            if family not in FAMILIES:
                problems.append(f"{where}: unknown family {family!r}")
        for term in sense.get("terms") or []:
            if fold(str(term)) not in term_keys | pattern_names:
                problems.append(f"{where}: {term!r} is not a lexicon term or pattern name")
        for side in ("before", "after"):
            if sense.get(side) is not None:
                try:
                    re.compile(str(sense[side]))
                except re.error as error:
                    problems.append(f"{where}: bad {side} pattern: {error}")
                _check_pattern_punctuation(str(sense[side]), where, problems)
    return problems, counts


def main() -> int:
    problems, counts = validate()
    for problem in problems:
        print(problem)
    total = sum(counts.get(family, 0) for family in FAMILIES)
    print("terms: " + ", ".join(f"{family}={counts.get(family, 0)}" for family in FAMILIES) + f", total={total}")
    print(f"allow phrases: {counts.get('allow', 0)}; exemptions: {counts.get('exemptions', 0)} "
          f"({counts.get('exemption_patterns', 0)} patterns, all compiled)" if not problems else
          f"allow phrases: {counts.get('allow', 0)}; exemptions: {counts.get('exemptions', 0)}")
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
