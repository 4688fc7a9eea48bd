"""Write examples/products.xlsx: a few more products, as a merchant's spreadsheet export.

Run from anywhere with the project's virtualenv:

    .venv/bin/python examples/make_xlsx.py

The output is deterministic: the same bytes on every run (fixed document timestamps and
fixed ZIP entry times), so the file can be regenerated without a spurious diff.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).resolve().parent / "products.xlsx"
FIXED_TIME = datetime(2026, 11, 25, 9, 0, 0)
ZIP_TIME = (2026, 11, 25, 9, 0, 0)

HEADERS = [
    "id", "platform", "category", "name", "description", "price_type", "price", "price2",
    "stock", "expected_peak_sales", "qualifications", "detail_url", "cover_width", "cover_height",
    "audit_status",
]

BL = "营业执照|91330106MA2H3K7Q5X|2045-06-30"

ROWS = [
    # clean: every document present and valid, price and cover fine
    ["YJ-4001", "wechat", "electronics", "声波电动牙刷T3", "5档清洁模式，IPX7防水，充电一次使用约30天，附2支刷头。",
     "fixed", 199.00, None, 1500, 300, f"{BL}; 品牌授权书|BA-2025-037|2027-12-31",
     "pages/goods/detail?id=4001", 300, 300, "approved"],
    # cover 750x1000 is over 300 px; still in review (QUAL-021 info)
    ["YJ-4002", "wechat", "home", "大豆蜡香薰蜡烛礼盒", "天然大豆蜡，木质烛芯，燃烧约40小时，三种香型。",
     "fixed", 128.00, None, 900, 200, f"{BL}; 品牌授权书|BA-2025-123|2027-12-31",
     "pages/goods/detail?id=4002", 750, 1000, "auditing"],
    # class II device without its 医疗器械注册证
    ["YJ-4003", "wechat", "medical_device_2", "家用制氧机3L", "3L大流量，带雾化功能，低噪音运行，适合家庭使用。",
     "fixed", 1699.00, None, 200, 40,
     f"{BL}; 品牌授权书|BA-2025-092|2027-12-31; 第二类医疗器械经营备案凭证|浙杭食药监械经营备20210345号|2030-12-31",
     "pages/goods/detail?id=4003", 300, 300, "approved"],
    # Douyin bakery without a business licence
    ["YJ-4004", "douyin", "food", "苏式鲜肉月饼6只装", "现做现发，酥皮层层分明，冷冻保存7天。",
     "fixed", 36.80, None, 1200, 300, "食品经营许可证|JY13301060123456|2029-03-31",
     None, None, None, "approved"],
    # OTC drug without a 药品经营许可证 (discount display itself is fine: 现价 below 原价)
    ["YJ-4005", "wechat", "otc_drug", "感冒灵颗粒10袋", "用于感冒引起的头痛、发热、鼻塞。请按说明书使用或在药师指导下购买和使用。",
     "discount", 19.90, 15.90, 800, 150, BL,
     "pages/goods/detail?id=4005", 300, 300, "approved"],
    # clean: a discount display with 现价 below 原价
    ["YJ-4006", "wechat", "prepackaged_food", "九蒸九晒黑芝麻丸", "每盒2颗×20袋，独立小包装，配料：黑芝麻、蜂蜜、枸杞。",
     "discount", 59.90, 49.90, 2000, 500,
     f"{BL}; 品牌授权书|BA-2025-151|2027-12-31; 食品经营许可证|JY13301060123456|2029-03-31",
     "pages/goods/detail?id=4006", 300, 300, "approved"],
]


def build() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "商品"
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    for cell in sheet[1]:
        sheet.column_dimensions[cell.column_letter].width = 18
    workbook.properties.creator = "优家严选"
    workbook.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def normalise(raw: bytes) -> bytes:
    """Pin the timestamps openpyxl and zipfile take from the clock."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", text)
                data = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, data)
    return out.getvalue()


def main() -> None:
    OUT.write_bytes(normalise(build()))
    print(f"wrote {OUT} ({len(ROWS)} products)")


if __name__ == "__main__":
    main()
