"""What a commitment is, as every service sees it.

The catalog file (``services/catalog/data/catalog.json``) is a JSON array of
these models; ``services.catalog.load_catalog()`` reads it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["quantitative", "milestone", "ongoing"]
# "~": about ("6%左右"); "between": a range, ``value`` to ``upper`` ("6%—6.5%").
Comparator = Literal[">=", "=", "<=", ">", "<", "~", "between"]
Relation = Literal["restated_in", "restates", "reviewed_in", "reviews"]


class ReportRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str  # e.g. "luqiao-2025" (plan year)
    plan_year: int
    meeting: str  # e.g. "七届四次党代会"
    source_file: str
    # The day the congress closed and the plan took effect; news before it is not
    # evidence on the plan. None: taken as 1 January of the plan year.
    adopted_on: date | None = None


class Target(BaseModel):
    model_config = ConfigDict(frozen=True)
    metric: str  # e.g. "老旧小区改造"
    comparator: Comparator
    value: float
    upper: float | None = None  # the range's upper bound, with comparator "between"
    unit: str  # "%", "个", "条", "万平方米", "亿元", "亩", ...
    text: str  # the figure as written, e.g. "4个", "6%以上", "十万平方米"


class Related(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    relation: Relation
    note: str = ""


class Commitment(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    report: ReportRef
    section: list[str]
    text: str
    kind: Kind
    sentence: str = ""  # the whole sentence the clause comes from, for context
    targets: list[Target] = Field(default_factory=list)
    verbs: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    deadline: date
    related: list[Related] = Field(default_factory=list)
