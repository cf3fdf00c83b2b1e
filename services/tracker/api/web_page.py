"""The public web pages' presentation: labels, filters, the red/amber/green strip,
and rendering through Jinja templates with autoescaping on.

Pure apart from reading the templates: the routes (`api.routes.pages`) fetch rows and
hand plain dicts here. Everything a reader sees is Chinese first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.events import CHINA_TZ, Stage
from services.tracker.ledger.models import ReviewState
from services.tracker.status_rules import (
    CONFLICT_WINDOW_DAYS,
    RULES,
    STATUS_LABELS,
    STATUS_RAG,
    Status,
)

STAGE_LABELS = {
    Stage.PLANNED.value: "计划部署",
    Stage.STARTED.value: "开工/启动",
    Stage.IN_PROGRESS.value: "推进中",
    Stage.COMPLETED.value: "完成",
    Stage.DELAYED.value: "延期/滞后",
}
REVIEW_LABELS = {
    ReviewState.AUTO: "自动采信",
    ReviewState.PENDING: "待审核",
    ReviewState.CONFIRMED: "审核确认",
    ReviewState.REJECTED: "审核否决",
}
KIND_LABELS = {"quantitative": "量化目标", "milestone": "节点任务", "ongoing": "持续性工作"}
RELATION_LABELS = {
    "restated_in": "次年工作报告再次部署（转入）",
    "restates": "承接上年工作报告（转自）",
    "reviewed_in": "次年报告回顾",
    "reviews": "回顾上年",
}
RAG_LABELS = {"green": "正常推进或完成", "amber": "需关注", "red": "滞后或逾期", "none": "尚无证据"}
RAG_ORDER = ("green", "amber", "red", "none")
STATUS_ORDER = [s.value for s in Status]
SEARCH_MAX_CHARS = 100


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")


def china_time(moment: datetime | None) -> str:
    """A stored (UTC) moment as a reader in Luqiao reads it."""
    if moment is None:
        return "—"
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def china_date(moment: datetime) -> str:
    """The day a stored (UTC) moment falls on in Luqiao, e.g. an article's publication."""
    return moment.astimezone(CHINA_TZ).date().isoformat()


@dataclass(frozen=True)
class OverviewFilter:
    """The overview's filters, all in the URL so a view can be shared."""

    year: int | None = None
    section: str = ""
    status: str = ""
    has_figures: bool = False
    q: str = ""
    notices: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> OverviewFilter:
        """Bad values are dropped with a notice the page shows, never an error page."""
        notices: list[str] = []
        year: int | None = None
        raw_year = params.get("year", "").strip()
        if raw_year:
            if raw_year.isdigit() and len(raw_year) == 4:
                year = int(raw_year)
            else:
                notices.append(f"年度“{raw_year[:20]}”无效，已忽略")
        status = params.get("status", "").strip()
        if status and status not in STATUS_LABELS:
            notices.append(f"状态“{status[:20]}”无效，已忽略")
            status = ""
        q = params.get("q", "").strip()
        if len(q) > SEARCH_MAX_CHARS:
            notices.append(f"搜索词过长，只取前{SEARCH_MAX_CHARS}个字")
            q = q[:SEARCH_MAX_CHARS]
        return cls(
            year=year,
            section=params.get("section", "").strip()[:200],
            status=status,
            has_figures=params.get("has_figures", "") in ("1", "on", "true"),
            q=q,
            notices=tuple(notices),
        )

    def query_string(self, **override: Any) -> str:
        values: dict[str, Any] = {
            "year": self.year or "",
            "section": self.section,
            "status": self.status,
            "has_figures": "1" if self.has_figures else "",
            "q": self.q,
        }
        values.update(override)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def keeps(self, item: Mapping[str, Any], quote_hits: Mapping[str, list[Any]]) -> bool:
        section_path = " › ".join(item["section"])
        text_hit = self.q and (
            self.q in item["text"]
            or self.q in section_path
            or any(self.q in a for a in item.get("aliases", []))
        )
        return (
            (self.year is None or item["plan_year"] == self.year)
            and (not self.section or item["section_top"] == self.section)
            and (not self.status or item["status"] == self.status)
            and (not self.has_figures or item["has_figures"])
            and (not self.q or bool(text_hit) or item["id"] in quote_hits)
        )


@dataclass
class StripRow:
    """One bar of the red/amber/green strip: a report's section, or everything."""

    label: str
    report: str = ""
    section: str = ""
    year: int | None = None
    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def rag(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for status, n in self.by_status.items():
            counts[STATUS_RAG.get(status, "none")] += n
        return [(colour, counts[colour]) for colour in RAG_ORDER]

    def segments(self) -> list[tuple[str, int, float]]:
        """(status, count, percent width) in the fixed status order."""
        total = self.total or 1
        return [
            (s, self.by_status[s], 100.0 * self.by_status[s] / total)
            for s in STATUS_ORDER
            if self.by_status[s]
        ]


def strip_rows(items: Iterable[Mapping[str, Any]]) -> tuple[StripRow, list[StripRow]]:
    """The whole selection's counts per status, and one row per (report, section)."""
    total = StripRow("全部")
    rows: dict[tuple[str, str], StripRow] = {}
    for item in items:
        total.by_status[item["status"]] += 1
        key = (item["report"], item["section_top"])
        row = rows.setdefault(
            key,
            StripRow(
                f"{item['plan_year']}年 · {item['section_top']}",
                item["report"],
                key[1],
                item["plan_year"],
            ),
        )
        row.by_status[item["status"]] += 1
    return total, list(rows.values())


def highlight(text: str, q: str) -> list[tuple[str, bool]]:
    """Text cut into (piece, is_match) for <mark>; the template escapes each piece."""
    if not q or q not in text:
        return [(text, False)]
    out: list[tuple[str, bool]] = []
    for i, piece in enumerate(text.split(q)):
        if i:
            out.append((q, True))
        if piece:
            out.append((piece, False))
    return out


@dataclass(frozen=True)
class TargetBar:
    """Target progress as a bar, with 序时进度 beside it."""

    done: float | None
    target: float
    unit: str
    metric: str
    ratio: float | None
    expected: float | None
    months: int | None

    @property
    def percent(self) -> float:
        return 100.0 * (self.ratio or 0.0)

    @property
    def expected_percent(self) -> float:
        return 100.0 * (self.expected or 0.0)

    @property
    def behind(self) -> bool:
        return self.ratio is not None and self.expected is not None and self.ratio < self.expected


def figure_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        status_label=status_label,
        stage_labels=STAGE_LABELS,
        review_labels=REVIEW_LABELS,
        kind_labels=KIND_LABELS,
        relation_labels=RELATION_LABELS,
        rag_of=lambda s: STATUS_RAG.get(s, "none"),
        rag_labels=RAG_LABELS,
        rules=RULES,
        china_time=china_time,
        china_date=china_date,
        highlight=highlight,
        figure_text=figure_text,
    )
    return env


def render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)


def status_options() -> list[tuple[str, str]]:
    return [(s, STATUS_LABELS[s]) for s in STATUS_ORDER]


def methodology_context(*, stall_days: int, review_threshold: float, today: date) -> dict[str, Any]:
    """What the 方法说明 page states: every status, every rule, every threshold."""
    return {
        "statuses": [(s, STATUS_LABELS[s], STATUS_RAG[s]) for s in STATUS_ORDER],
        "rules": list(RULES.values()),
        "stall_days": stall_days,
        "review_threshold": review_threshold,
        "conflict_days": CONFLICT_WINDOW_DAYS,
        "today": today,
        "example_months": 11,
    }
