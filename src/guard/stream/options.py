"""The Flink job's options, shared by ``guard monitor flink`` and ``python -m guard.stream.flink``.

Importable without the flink extra, so the command line can list them and then say what is missing.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from guard.model import CHINA_TZ


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("events", metavar="FILE", help="a JSONL event file")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="outputs (findings and actions) to DIR/outputs, problems to DIR/problems, as JSON lines")
    parser.add_argument("--until", metavar="ISO-TIME", help="after the file, advance the clock to this time")
    parser.add_argument("--lateness", type=int, default=0, metavar="SECONDS",
                        help="how long past a deadline to wait for late events before firing it (default 0)")
    parser.add_argument("--parallelism", type=int, default=1, metavar="N",
                        help="tasks per keyed operator (default 1; the routing operator is always 1)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--config", metavar="FILE")


def parse_time(text: str) -> int:
    """An ISO time (China time without a zone) as epoch seconds."""
    moment = datetime.fromisoformat(text)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)).timestamp())
