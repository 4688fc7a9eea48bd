"""``python -m guard.stream EVENTS --output DIR``: the Flink job as a command (see ``guard.stream.flink``).

Without the flink extra or Java it says so in one line and exits with 2, as ``guard monitor flink`` does.
"""

from __future__ import annotations

import sys

from guard.errors import GuardError


def main() -> int:
    try:
        from guard.stream import flink

        return flink.main()
    except GuardError as exc:
        print(f"guard: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
