"""How many reviewers' host lines guard gets right: claims caught, harmless lines flagged.

The lines are in ``tests/corpus/host_lines`` (written for this project by reviewers who had not
seen the lexicon; see its README). A line counts as flagged when guard reports a finding above
``info`` for it, linted as speech on Douyin about ordinary goods.

    python bench/eval_host_lines.py                 # both halves of every file
    python bench/eval_host_lines.py --errors tune   # the tune half's misses and false alarms

Listing errors is refused for the report half: it is for reporting, never for tuning.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "corpus" / "host_lines"))

from eval_labelled import flagged_families  # noqa: E402
from host_lines import FILES, HostLine, load  # noqa: E402


def flagged(linter, text: str) -> bool:
    """Flagged as the labelled set counts it: a finding above ``info``, as speech on Douyin about ordinary goods."""
    return bool(flagged_families(linter, text))


def score(lines: list[HostLine], verdicts: dict[str, bool]) -> tuple[int, int, int, int]:
    """(claims caught, claims, harmless lines flagged, harmless lines)."""
    claims = [line for line in lines if line.claim]
    harmless = [line for line in lines if not line.claim]
    return (sum(verdicts[line.text] for line in claims), len(claims),
            sum(verdicts[line.text] for line in harmless), len(harmless))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=["tune"], help="list the errors of the tune half")
    args = parser.parse_args(argv)
    from guard.lint import Linter

    linter = Linter()
    lines = load()
    verdicts = {line.text: flagged(linter, line.text) for line in lines}
    for half in ("tune", "report"):
        part = [line for line in lines if line.half == half]
        caught, claims, false, harmless = score(part, verdicts)
        print(f"{half}: claims caught {caught}/{claims} ({caught / max(claims, 1):.1%}), "
              f"harmless lines flagged {false}/{harmless} ({false / max(harmless, 1):.1%})")
        for name in FILES:
            sub = [line for line in part if line.file == name]
            if sub:
                caught, claims, false, harmless = score(sub, verdicts)
                print(f"  {name:<12} claims caught {caught}/{claims}, harmless lines flagged {false}/{harmless}")
    if args.errors:
        for line in lines:
            if line.half == "tune" and verdicts[line.text] != line.claim:
                kind = "MISS" if line.claim else "FALSE"
                print(f"{kind} {line.file}:{line.number} {line.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
