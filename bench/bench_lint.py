"""Benchmark the script linter against segmenting everything with jieba.

    python bench/bench_lint.py [--size-mb 1.0] [--violation-rate 0.15]

Corpora (built in memory, deterministic):
- realistic: lines of ordinary host speech (tests/corpus) with `violation_rate` of them replaced by
  lines that break a rule (the `ruleid` cases of tests/fixtures/lint), about `--size-mb` MB;
- clean: ordinary host speech only, same size.

Baseline: jieba.lcut over the whole text (dictionary path, HMM off: the same setting guard uses,
and the faster one), then each token looked up in the set of lexicon terms. guard: the full lint
(normalise, match, verify, rules, findings) line by line. Both run in this process after warm-up,
taking turns for five rounds; the ratio is the median of the rounds' ratios of guard's speed to the baseline's.

Also measured: latency of one 80-character caption line as `--follow` handles it (lint + JSON),
p50/p99 over warm runs; cold start of `guard lint` on a 1 KB script and its peak resident memory,
in a fresh process.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fixture_violations() -> list[str]:
    lines, pending = [], False
    for path in sorted((ROOT / "tests" / "fixtures" / "lint").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# ruleid:"):
                pending = True
            elif line.startswith("#") or not line.strip():
                continue
            elif pending:
                lines.append(line)
                pending = False
    return lines


def build_corpus(size_mb: float, violation_rate: float, seed: int = 7) -> str:
    clean = [line for line in (ROOT / "tests" / "corpus" / "clean_live_speech.txt").read_text(encoding="utf-8").splitlines() if line]
    bad = fixture_violations()
    rng = random.Random(seed)
    out, size = [], 0
    while size < size_mb * 1e6:
        line = rng.choice(bad) if rng.random() < violation_rate else rng.choice(clean)
        out.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(out) + "\n"


def timed(work) -> float:
    """Seconds one run of ``work`` takes."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


ROUNDS = 5


def throughput(text: str, linter, jieba_module, terms: set[str]
               ) -> tuple[float, float, float, float, float, float, int, int]:
    mb = len(text.encode("utf-8")) / 1e6

    def baseline_default() -> int:  # jieba.lcut as shipped (HMM on)
        return sum(1 for token in jieba_module.lcut(text) if token in terms)

    def baseline_dictionary() -> int:  # the faster dictionary-only path guard itself uses
        return sum(1 for token in jieba_module.lcut(text, HMM=False) if token in terms)

    def guard_lint() -> int:
        return len(linter.text(text).findings)

    def guard_match() -> int:  # the matcher alone: normalise, automaton, allow, verify, exemptions
        return len(linter.matcher.scan(text))

    base_hits, guard_hits = baseline_dictionary(), guard_lint()  # warm-up, and the counts
    baseline_default()
    guard_match()
    # the baselines and guard take turns, round by round, so that a machine whose speed drifts (a shared
    # host) slows both alike; each ratio is the median of the rounds' ratios, each speed the best round's
    rounds: list[tuple[float, float, float, float]] = []
    for _ in range(ROUNDS):
        rounds.append((timed(baseline_default), timed(baseline_dictionary), timed(guard_match), timed(guard_lint)))
    default, dictionary, match, ours = (mb / min(r[i] for r in rounds) for i in range(4))
    vs_default = statistics.median(r[0] / r[3] for r in rounds)
    vs_dictionary = statistics.median(r[1] / r[3] for r in rounds)
    return default, dictionary, match, ours, vs_default, vs_dictionary, base_hits, guard_hits


def latency(linter, lines: list[str]) -> tuple[float, float]:
    from guard.report.json import finding_line

    samples = []
    for _ in range(2):  # the first pass warms caches; only the second is kept
        samples = []
        for number, line in enumerate(lines, start=1):
            start = time.perf_counter()
            for finding in linter.line(line, number, platform="douyin"):
                finding_line(finding)
            samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples) * 1e3, samples[int(len(samples) * 0.99) - 1] * 1e3


def caption_lines(corpus: str, width: int = 80) -> list[str]:
    flat = corpus.replace("\n", "，")
    return [flat[i:i + width] for i in range(0, len(flat) - width, width)][:5000]


def cold_start(script: str) -> tuple[float, float]:
    guard_bin = Path(sys.executable).with_name("guard")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        fh.write(script)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([str(guard_bin), "lint", fh.name, "--format", "jsonl"], capture_output=True)
        times.append(time.perf_counter() - start)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    Path(fh.name).unlink()
    return min(times), rss_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--violation-rate", type=float, default=0.15)
    args = parser.parse_args()

    script_1kb = build_corpus(0.001, args.violation_rate, seed=3)
    cold, rss = cold_start(script_1kb)  # before this process imports anything heavy

    import jieba

    from guard.lint import Linter
    from guard.text.lexicon import bundled_lexicon

    jieba.setLogLevel(60)
    jieba.initialize()
    linter = Linter()
    terms = set(bundled_lexicon().entries)
    realistic = build_corpus(args.size_mb, args.violation_rate)
    clean = build_corpus(args.size_mb, 0.0)
    print(f"python {sys.version.split()[0]}; corpora of {args.size_mb} MB; violation rate {args.violation_rate}")
    print("MB/s of UTF-8 text; baselines: jieba.lcut then a set lookup per token, with HMM on (as shipped) and off")
    print("guard match = the matcher alone; guard lint = matcher + rules + findings; speeds are the best of "
          f"{ROUNDS} rounds in turn, ratios guard lint's median over the rounds")
    print(f"{'corpus':<11}{'jieba':>7}{'no-HMM':>8}{'guard match':>13}{'guard lint':>12}{'vs jieba':>10}{'vs no-HMM':>11}"
          f"{'token hits':>12}{'findings':>10}")
    for name, text in (("realistic", realistic), ("clean", clean)):
        default, dictionary, match, ours, vs_default, vs_dictionary, base_hits, findings = throughput(
            text, linter, jieba, terms)
        print(f"{name:<11}{default:>7.2f}{dictionary:>8.2f}{match:>13.2f}{ours:>12.2f}{vs_default:>9.1f}x"
              f"{vs_dictionary:>10.1f}x{base_hits:>12}{findings:>10}")
    p50, p99 = latency(linter, caption_lines(realistic))
    print(f"--follow latency per 80-character line (warm): p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    print(f"cold start of `guard lint` on a {len(script_1kb.encode())} B script: {cold:.2f} s; peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
