"""Articles given by hand (JSON lines of url, title, published_at, text) turned
into `ArticleFetched`, for the offline `extract`, `explain` and `evaluate` commands."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from services.events import CHINA_TZ, ArticleFetched, article_id_for


def article_from_dict(data: dict[str, Any]) -> ArticleFetched:
    if "article_id" in data and "html_sha256" in data:
        return ArticleFetched.model_validate(data)
    published = datetime.fromisoformat(str(data["published_at"]))
    if published.tzinfo is None:
        published = published.replace(tzinfo=CHINA_TZ)
    text = str(data["text"])
    return ArticleFetched(
        article_id=article_id_for(data["url"]),
        url=data["url"],
        title=data.get("title", ""),
        published_at=published,
        source=data.get("source"),
        column=data.get("column"),
        text=text,
        html_sha256=hashlib.sha256(text.encode()).hexdigest(),
        fetched_at=published,
    )


def read_jsonl(lines: Iterable[str]) -> Iterator[ArticleFetched]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield article_from_dict(json.loads(line))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"line {n}: {exc}") from exc
