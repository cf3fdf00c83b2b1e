"""The public web page: every commitment, its status and latest quote."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.tracker.status_rules import STATUS_LABELS  # noqa: E402

STAGE_LABELS = {
    "planned": "计划",
    "started": "开工/启动",
    "in_progress": "推进中",
    "completed": "完成",
    "delayed": "滞后",
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )


def render_index(items: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    return (
        _env()
        .get_template("index.html")
        .render(items=items, counts=counts, labels=STATUS_LABELS, stage_labels=STAGE_LABELS)
    )
