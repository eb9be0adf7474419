"""The demo company's people and things: customers (Chinese and Latin names), salespeople, products."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

_CITIES = ("上海", "北京", "深圳", "杭州", "苏州", "成都", "广州", "南京", "武汉", "宁波", "厦门", "天津")
_CORES = (
    "明辉", "华成", "远航", "青禾", "锦程", "瑞丰", "恒达", "新元", "宏图", "天成", "博远", "嘉禾",
    "启明", "同创", "卓越", "汇通", "长江", "金桥", "银河", "东方",
)  # fmt: skip
_TRADES = ("贸易有限公司", "科技有限公司", "电子有限公司", "实业有限公司", "自动化设备有限公司")
_LATIN_FIRST = (
    "Acme", "Northwind", "Blue Harbor", "Globex", "Initech", "Pacific Rim", "Summit", "Evergreen",
    "Silverline", "Harbourview", "Crescent", "Redwood", "Atlas", "Meridian", "Lakeside", "Orion",
)  # fmt: skip
_LATIN_SECOND = (
    "Trading", "Logistics", "Industrial", "Systems", "Components", "Precision", "Machinery",
    "Automation", "Supplies", "Electronics", "Instruments", "Controls",
)  # fmt: skip
_LATIN_FORMS = (
    (" Ltd", (" Limited", " LTD.", " ltd")),
    (" Inc.", (" Incorporated", ", INC.", " inc")),
    (" GmbH", (" GMBH", " gmbh")),
    (" LLC", (" LLC.", " llc")),
    (" Co., Ltd.", (" Co Ltd", " CO., LTD", " Company Limited")),
)
_CJK_VARIANTS = ("（总部）", "(总部)", "（华东分公司）", "有限公司（上海）")
"""Appended to a Chinese name as another system spells it: branch notes and legal-form repeats."""

SALESPEOPLE = ("王芳", "李强", "张伟", "刘洋", "Emily Chen", "James O'Brien", "Sophie Martin", "陈静")
"""Zoho users (the CRM Owner and the Books salesperson are the same people)."""

FXIAOKE_OWNERS = ("1001", "1002", "1003", "1004", "1005")
"""Fxiaoke employee ids (owner fields carry ids, not names)."""


@dataclass(frozen=True)
class Product:
    name: str
    sku: str
    price_cny: Decimal


PRODUCTS = (
    Product("工业传感器 A1", "SEN-A1", Decimal("1280.00")),
    Product("控制模块 CM-200", "CM-200", Decimal("3450.50")),
    Product("伺服电机 SV-750", "SV-750", Decimal("2899.00")),
    Product("触摸屏 HMI-10", "HMI-10", Decimal("1999.90")),
    Product("变频器 VF-22", "VF-22", Decimal("4620.00")),
    Product("Cable kit, 5 m", "CBL-5M", Decimal("89.90")),
    Product("Service hours", "SVC-HR", Decimal("600.00")),
    Product("PLC controller PX-8", "PX-8", Decimal("7800.00")),
    Product("Power module PM-24", "PM-24", Decimal("356.80")),
    Product("Relay module RM-4", "RM-4", Decimal("128.50")),
)


@dataclass(frozen=True)
class Customer:
    """One customer as each system knows it: same company, its own id per system."""

    index: int
    name: str
    domestic: bool
    """Chinese company (trades in CNY, sold through Fxiaoke too) or an overseas one (often USD)."""

    def variant(self, rng: random.Random) -> str:
        """The same company as another clerk typed it (must still be recognized as the same party)."""
        if self.domestic:
            suffix = rng.choice(_CJK_VARIANTS)
            return (
                self.name.removesuffix("有限公司") + suffix
                if suffix.startswith("有限")
                else self.name + suffix
            )
        for form, variants in _LATIN_FORMS:
            if self.name.endswith(form):
                base = self.name.removesuffix(form)
                base = base.upper() if rng.random() < 0.3 else base
                return base + rng.choice(variants)
        return self.name.upper()


def customers(count: int, rng: random.Random) -> list[Customer]:
    """`count` customers, about two thirds Chinese; every name is different."""
    domestic = round(count * 2 / 3)
    chinese = [(city, core, trade) for core in _CORES for city in _CITIES for trade in _TRADES]
    latin = [(first, second) for first in _LATIN_FIRST for second in _LATIN_SECOND]
    if domestic > len(chinese) or count - domestic > len(latin):
        raise ValueError(f"at most {len(chinese) + len(latin)} distinct customers can be generated")
    rng.shuffle(chinese)
    rng.shuffle(latin)
    result = [
        Customer(i, f"{city}{core}{trade}", True) for i, (city, core, trade) in enumerate(chinese[:domestic])
    ]
    for first, second in latin[: count - domestic]:
        result.append(Customer(len(result), f"{first} {second}{rng.choice(_LATIN_FORMS)[0]}", False))
    return result
