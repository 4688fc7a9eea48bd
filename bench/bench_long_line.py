"""One long line against the same text with newlines: caption transcripts from speech recognition
often have no newlines, and linting must stay linear in time.

    python bench/bench_long_line.py [--mb 10]

Prints seconds for the text with newlines, for the same text as one line, the ratio (the goal is
at most 2x), and a 10 MB run of Latin letters with one term at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lint import build_corpus  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0)
    args = parser.parse_args()
    from guard.lint import Linter

    linter = Linter()
    text = build_corpus(args.mb, 0.15)
    one_line = text.replace("\n", "")
    linter.text(text[:5000])
    linter.text(one_line[:5000])
    timings = {}
    for name, body in (("with newlines", text), ("one line", one_line)):
        start = time.perf_counter()
        found = linter.text(body)
        timings[name] = time.perf_counter() - start
        print(f"{name:<14} {timings[name]:6.2f} s  {len(found.findings)} findings")
    print(f"one line / with newlines: {timings['one line'] / timings['with newlines']:.2f}x (goal: at most 2x)")
    latin = "abcdefghij" * int(args.mb * 100_000) + "全网最低价"
    start = time.perf_counter()
    found = linter.text(latin)
    print(f"{len(latin) / 1e6:.0f} M Latin letters in one line: {time.perf_counter() - start:.2f} s, {len(found.findings)} finding")
    return 0


if __name__ == "__main__":
    sys.exit(main())
