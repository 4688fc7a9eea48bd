"""Cost of the script-against-catalog check per caption line, next to plain linting.

A 1,000-product catalog (the example live room's products, replicated with their own ids, names,
aliases and promotions) is loaded once; caption lines from the example script, each bound to a
random product by its 【id】 marker, are linted warm one at a time, with and without the catalog.

    python bench/bench_claims.py [--products 1000] [--lines 5000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from guard.io.catalog import load_catalog  # noqa: E402
from guard.lint import Linter  # noqa: E402
from guard.model import CHINA_TZ  # noqa: E402

EXAMPLE = ROOT / "examples" / "live-room"


def big_catalog(products: int, folder: Path) -> tuple[Path, list[str]]:
    base = json.loads((EXAMPLE / "catalog.json").read_text(encoding="utf-8"))
    items, promotions, ids = [], [], []
    for index in range(products):
        product = dict(base["products"][index % len(base["products"])])
        pid = f"{product['id']}-{index:05d}"
        product.update(id=pid, name=f"{product['name']} 第{index}款", aliases=[f"{alias}{index}号" for alias in product["aliases"]])
        items.append(product)
        ids.append(pid)
        for promo in base["promotions"]:
            if promo["products"] == [base["products"][index % len(base["products"])]["id"]]:
                promotions.append({**promo, "id": f"{promo['id']}-{index:05d}", "products": [pid]})
    path = folder / "catalog.json"
    path.write_text(json.dumps({"merchant": base["merchant"], "products": items, "promotions": promotions},
                               ensure_ascii=False), encoding="utf-8")
    return path, ids


def timed(linter: Linter, lines: list[str]) -> tuple[list[float], list[float]]:
    """Per line: wall-clock ms and this thread's CPU ms (the cost itself, whatever else the machine runs)."""
    for line in lines[:200]:  # warm up: jieba, caches
        linter.line(line, 1, category="cosmetics", platform="douyin")
    wall, cpu = [], []
    for number, line in enumerate(lines, start=1):
        start, start_cpu = time.perf_counter(), time.thread_time()
        linter.line(line, number, category="cosmetics", platform="douyin")
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=5000)
    args = parser.parse_args()
    now = datetime(2026, 11, 26, 20, 0, tzinfo=CHINA_TZ)
    speech = [line.split("】", 1)[-1] for line in (EXAMPLE / "script.txt").read_text(encoding="utf-8").splitlines() if line]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        path, ids = big_catalog(args.products, Path(folder))
        catalog = load_catalog([path])
    lines = [f"【{rng.choice(ids)}】{rng.choice(speech)}" for _ in range(args.lines)]
    gc.collect()
    gc.freeze()  # as a long-running caption follower would: the loaded catalog is never collected
    plain = timed(Linter(), lines)
    crossed = timed(Linter(catalog=catalog, now=now), lines)

    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1]

    print(f"{args.lines} caption lines, {len(catalog.products)} products loaded; ms per line, warm")
    print(f"{'':24}{'cpu p50':>9}{'cpu p99':>9}{'wall p50':>10}{'wall p99':>10}")
    for name, (wall, cpu) in (("plain lint", plain), ("lint + catalog check", crossed)):
        print(f"{name:24}{p(cpu, 50):9.3f}{p(cpu, 99):9.3f}{p(wall, 50):10.3f}{p(wall, 99):10.3f}")
    cpu99 = p(crossed[1], 99)
    print(f"the catalog check adds {p(crossed[1], 50) - p(plain[1], 50):.3f} ms CPU at p50; p99 with it {cpu99:.3f} ms CPU "
          f"({'within' if cpu99 <= 1.0 else 'ABOVE'} the 1 ms budget). Wall time adds whatever else the machine runs.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
