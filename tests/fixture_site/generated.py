"""A fixture site of any size: the portal's columns with N generated articles.

For the back-fill benchmark (100,000 articles) and the progress tests (a few dozen).
The site's shape comes from a data directory like every fixture site's
(``tests/data/site_generated/site.json``: columns, list engines, the date span, the
templates to cycle through, and the labelled articles whose texts are reused). Article
``i`` goes to column ``i % columns``, newest first; its text is labelled article
``i % len(labelled)`` with a closing line carrying its number, so every article is a
distinct story (the crawler publishes duplicates once). Articles are rendered when
asked for, never held: only the list entries (one small tuple per article) live in
memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from .site_data import Article, ListItem, SiteData

PATH_RE = re.compile(r"^/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_g(\d+)\.html$")


class GeneratedArticles(Mapping[str, Article]):
    """path -> Article, made on demand from the article's number."""

    def __init__(self, site: GeneratedSiteData) -> None:
        self.site = site

    def __getitem__(self, path: str) -> Article:
        match = PATH_RE.match(path)
        if match is None:
            raise KeyError(path)
        number = int(match.group(2))
        if number >= self.site.count or self.site.path_of(number) != path:
            raise KeyError(path)
        return self.site.article(number)

    def __iter__(self) -> Iterator[str]:
        return (self.site.path_of(i) for i in range(self.site.count))

    def __len__(self) -> int:
        return self.site.count


class GeneratedSiteData(SiteData):
    """``SiteData`` whose articles are generated: ``count`` of them over the columns."""

    def __init__(self, data_dir: Path, count: int) -> None:
        super().__init__(data_dir)
        spec: dict[str, Any] = self.config["generated"]
        self.count = count
        self.newest = date.fromisoformat(spec["newest"])
        self.oldest = date.fromisoformat(spec["oldest"])
        self.template_cycle: list[str] = spec["templates"]
        source = (self.data_dir / spec["articles_from"]).resolve()
        self.texts = [json.loads(line) for line in source.read_text("utf-8").splitlines() if line]
        self.column_ids = list(self.columns)
        self.articles = GeneratedArticles(self)  # type: ignore[assignment]

    # ---- numbering -------------------------------------------------------------------
    def _column_and_rank(self, number: int) -> tuple[str, int, int]:
        """Column, rank in it (0 = newest) and how many the column has."""
        columns = len(self.column_ids)
        column = self.column_ids[number % columns]
        size = self.count // columns + (1 if number % columns < self.count % columns else 0)
        return column, number // columns, size

    def day_of(self, number: int) -> date:
        _, rank, size = self._column_and_rank(number)
        span = (self.newest - self.oldest).days
        return self.newest - timedelta(days=rank * span // max(size, 1))

    def path_of(self, number: int) -> str:
        column, _, _ = self._column_and_rank(number)
        day = self.day_of(number)
        return f"/art/{day.year}/{day.month}/{day.day}/art_{column}_g{number}.html"

    def _title(self, number: int) -> str:
        row = self.texts[number % len(self.texts)]
        title = row.get("title") or row["text"].split("\n", 1)[0][:24]
        return str(title)

    def article(self, number: int) -> Article:
        row = self.texts[number % len(self.texts)]
        column, _, _ = self._column_and_rank(number)
        paragraphs = [p.strip() for p in row["text"].split("\n") if p.strip()]
        paragraphs.append(f"（稿件编号：LQ{number:06d}）")
        return Article(
            path=self.path_of(number),
            title=self._title(number),
            pubdate=f"{self.day_of(number).isoformat()} 09:{number % 60:02d}",
            source=row.get("source") or "路桥发布",
            template=self.template_cycle[number % len(self.template_cycle)],
            paragraphs=paragraphs,
            column=column,
        )

    # ---- lists -----------------------------------------------------------------------
    @cached_property
    def _lists(self) -> dict[str, list[ListItem]]:
        lists: dict[str, list[ListItem]] = {c: [] for c in self.column_ids}
        for number in range(self.count):
            column, _, _ = self._column_and_rank(number)
            lists[column].append(
                ListItem(
                    href=self.path_of(number),
                    title=self._title(number),
                    date=str(self.day_of(number)),
                )
            )
        return lists  # numbers rise as dates fall: already newest first

    def list_items(self, column_id: str) -> list[ListItem]:
        return self._lists.get(column_id, [])
