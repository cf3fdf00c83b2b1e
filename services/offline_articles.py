"""Articles given by hand (JSON lines of url, title, published_at, text) turned
into `ArticleFetched`, for the offline `extract`, `explain` and `score-extractor` commands.

A file of articles gathered by hand is messy: reposts without a headline, a line
cut by an editor, a date typed wrongly. Each bad line is reported with its number
and reason and skipped; the good lines around it are still read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.events import CHINA_TZ, ArticleFetched, article_id_for


class BadArticle(ValueError):
    """An input record that cannot become an article, with a reason a person can act on."""


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


def _required_text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadArticle(f"missing {key}")
    return value


def article_from_dict(data: dict[str, Any], max_text_chars: int | None = None) -> ArticleFetched:
    if "article_id" in data and "html_sha256" in data:
        try:
            return ArticleFetched.model_validate(data)
        except ValidationError as exc:
            raise BadArticle(f"not an article: {exc.errors()[0]['msg']}") from exc
    url = _required_text(data, "url")
    raw_date = _required_text(data, "published_at")
    try:
        published = datetime.fromisoformat(raw_date)
    except ValueError as exc:
        raise BadArticle(f"invalid published_at {raw_date[:40]!r}") from exc
    if published.tzinfo is None:
        published = published.replace(tzinfo=CHINA_TZ)
    text = _required_text(data, "text")
    if max_text_chars is not None and len(text) > max_text_chars:
        raise BadArticle(f"text too large: {len(text)} characters (limit {max_text_chars})")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise BadArticle("title is neither text nor null")
    return ArticleFetched(
        article_id=article_id_for(url),
        url=url,
        title=title or "",  # a headline-less repost is read from its text
        published_at=published,
        source=data.get("source") if isinstance(data.get("source"), str) else None,
        column=data.get("column") if isinstance(data.get("column"), str) else None,
        text=text,
        html_sha256=hashlib.sha256(text.encode()).hexdigest(),
        fetched_at=published,
    )


def read_jsonl(
    lines: Iterable[bytes | str], max_text_chars: int | None = None
) -> Iterator[ArticleFetched | BadLine]:
    """Each line's article, or a `BadLine` saying why it is not one."""
    for n, line in enumerate(lines, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield BadLine(n, f"invalid UTF-8 at byte {exc.start}")
                continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadLine(n, f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(data, dict):
            yield BadLine(n, f"not an object but {type(data).__name__}")
            continue
        try:
            yield article_from_dict(data, max_text_chars)
        except BadArticle as exc:
            yield BadLine(n, str(exc))
