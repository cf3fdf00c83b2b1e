"""The one vocabulary of figures: numbers as the reports and the news write them, and units.

The catalog reads targets with it ("改造老旧小区4个", "完成投资150亿元以上") and the
extractor reads reported progress with it ("已改造3个", "完成1.2万亩"); a figure of
one can only be compared with a figure of the other when both went through the
same vocabulary, so it lives here and nowhere else.

API:
- ``NUMBER``: regex source of a number (Arabic with decimals or thousands commas,
  or Chinese numerals such as 三, 十五, 六十, 一点二);
- ``UNIT``: regex source of a unit, longest first ("万平方米" before "平方米");
- ``FIGURE``: compiled number + optional 万/亿 multiplier + unit, groups
  ``number``, ``multiplier``, ``unit``;
- ``to_number(text)``: the value of a NUMBER match (None for a bare 千/百/万/亿,
  which in these texts names a thing: "千亩…基地");
- ``unit_of(name)`` -> ``Unit`` (its base unit and factor), ``to_base(value, unit)``
  and ``comparable(a, b)`` to compare "1.2万亩" with "12000亩" or "3公里" with "3千米".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
CN_NUMBER = f"[{CN_DIGITS}]+(?:点[零〇一二三四五六七八九]+)?"
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|{CN_NUMBER}"
MULTIPLIERS = {"万": 1e4, "亿": 1e8}


@dataclass(frozen=True)
class Unit:
    """A unit as written, and how it converts to its base ("万亩" = 10000 "亩")."""

    name: str
    base: str
    factor: float = 1.0


# Units that count things: a bare figure in one ("两个项目") is how many things a
# sentence speaks of, not a level a measure stands at.
COUNT_UNITS = (
    "个",
    "条",
    "家",
    "项",
    "所",
    "座",
    "处",
    "辆",
    "台",
    "套",
    "幢",
    "栋",
    "间",
    "艘",
    "张",
)

_TABLE: tuple[Unit, ...] = (
    # area
    Unit("万平方米", "平方米", 1e4),
    Unit("平方公里", "平方米", 1e6),
    Unit("平方米", "平方米"),
    Unit("公顷", "亩", 15.0),
    Unit("万亩", "亩", 1e4),
    Unit("亩", "亩"),
    # length
    Unit("公里", "米", 1e3),
    Unit("千米", "米", 1e3),
    Unit("米", "米"),
    # money
    Unit("亿美元", "美元", 1e8),
    Unit("万美元", "美元", 1e4),
    Unit("美元", "美元"),
    Unit("亿元", "元", 1e8),
    Unit("万元", "元", 1e4),
    Unit("元", "元"),
    # people and households
    Unit("万人次", "人次", 1e4),
    Unit("人次", "人次"),
    Unit("万人", "人", 1e4),
    Unit("人", "人"),
    Unit("万户", "户", 1e4),
    Unit("户", "户"),
    # weight, energy
    Unit("万吨", "吨", 1e4),
    Unit("吨", "吨"),
    Unit("万千瓦", "千瓦", 1e4),
    Unit("千瓦", "千瓦"),
    # rates
    Unit("个百分点", "个百分点"),
    Unit("%", "%"),
    Unit("‰", "‰"),
    # counts
    *(Unit(name, name) for name in COUNT_UNITS),
)
UNITS: dict[str, Unit] = {u.name: u for u in _TABLE}
UNIT = "|".join(re.escape(name) for name in sorted(UNITS, key=len, reverse=True))
# The multiplier is lazy: "10万平方米" reads as 10 万平方米, "1.2万个" as 1.2 万 × 个.
FIGURE = re.compile(rf"(?P<number>{NUMBER})(?P<multiplier>[万亿])??(?P<unit>{UNIT})")


@lru_cache(maxsize=4096)
def to_number(text: str) -> float | None:
    """The value of a NUMBER match; None when it names rather than counts.

    Memoised (a pure function of a short string, and news repeats its numbers);
    cn2an is imported at the first Chinese numeral, not with the module, because
    importing it costs a tenth of a second or more of every process's start-up."""
    text = text.replace(",", "")
    if text[0].isdigit():
        return float(text)
    if text in ("千", "百", "万", "亿"):
        return None
    import cn2an

    try:
        return float(cn2an.cn2an(text.replace("两", "二"), "strict"))
    except (ValueError, KeyError, TypeError):
        return None


def figure_value(match: re.Match[str]) -> float | None:
    """The value of a FIGURE match in its written unit, the 万/亿 multiplier applied."""
    value = to_number(match.group("number"))
    if value is None:
        return None
    multiplier = match.group("multiplier")
    return value * MULTIPLIERS[multiplier] if multiplier else value


def unit_of(name: str) -> Unit | None:
    return UNITS.get(name)


def to_base(value: float, unit: str) -> tuple[float, str]:
    """The value in the unit's base: (1.2, "万亩") -> (12000.0, "亩"); unknown units unchanged."""
    known = UNITS.get(unit)
    if known is None:
        return value, unit
    return value * known.factor, known.base


def comparable(a: str, b: str) -> bool:
    """Can a figure in unit ``a`` be compared with a target in unit ``b``?"""
    ua, ub = UNITS.get(a), UNITS.get(b)
    return a == b or (ua is not None and ub is not None and ua.base == ub.base)
