"""Write the example lives' metrics exports (examples/metrics/), as a platform's data export gives them.

LR-20261126.xlsx is the example live of examples/events.jsonl (20:00–22:00): a sheet of per-minute
rows and a sheet of per-SKU rows, under a title row. LR-20261119.csv and LR-20261122.csv are two
earlier lives of the same merchant (per-minute rows only), so the report can compare complaints.
The numbers are made up and deterministic.

    python examples/make_metrics.py
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent / "metrics"
HEADER = ["时间", "进入直播间人数", "跳出人数", "平均停留时长(秒)", "商品点击次数", "成交订单数", "投诉数"]


def minutes(start: datetime, count: int, seed: int, opening_bounce: float, bounce: float,
            conversion: float, complaint_every: int) -> list[list[object]]:
    rng = random.Random(seed)
    rows = []
    for minute in range(count):
        at = start + timedelta(minutes=minute)
        viewers = rng.randint(60, 140) + (80 if minute < 10 else 0)
        rate = opening_bounce if minute < 15 else bounce
        bounces = int(viewers * (rate + rng.uniform(-0.05, 0.05)))
        clicks = int(viewers * rng.uniform(0.25, 0.4))
        orders = int(viewers * conversion + rng.random())
        complaints = 1 if minute % complaint_every == complaint_every - 1 else 0
        rows.append([at.strftime("%Y-%m-%d %H:%M"), viewers, bounces, rng.randint(40, 200), clicks, orders, complaints])
    return rows


def main() -> None:
    HERE.mkdir(exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "分钟数据"
    sheet.append(["直播间 LR-20261126 数据导出（2026-11-26 20:00–22:00）"])
    sheet.append(HEADER)
    for row in minutes(datetime(2026, 11, 26, 20, 0), 120, 26, 0.72, 0.50, 0.02, 12):
        sheet.append(row)
    skus = workbook.create_sheet("商品数据")
    skus.append(["商品ID", "商品名称", "商品点击次数", "成交订单数"])
    for row in (["YJ-1001", "轻薄羽绒服", 1480, 118], ["YJ-1002", "羊毛围巾", 620, 9], ["YJ-1003", "保温杯 500ml", 410, 33],
                ["YJ-1004", "加绒手套", 260, 4], ["YJ-1005", "毛线帽", 12, 0]):
        skus.append(row)
    workbook.save(HERE / "LR-20261126.xlsx")
    for name, day, seed, every in (("LR-20261119", 19, 19, 40), ("LR-20261122", 22, 22, 30)):
        lines = [",".join(HEADER)] + [",".join(str(v) for v in row) for row in
                                      minutes(datetime(2026, 11, day, 20, 0), 120, seed, 0.55, 0.42, 0.035, every)]
        (HERE / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
