"""A crawl's progress while it runs, for whoever started it (the embedded mode's bar).

A crawl child cannot share memory with its parent, so the child writes a small JSON
report to a file the parent named (``LUQIAO_PROGRESS_FILE``), every second and once
more when the spider closes; the parent reads it whenever it likes. The report says
how many list items the poll has read, how many articles it published, and how many
list items are left down to the back-fill's end: per column from the list's own item
count (jpaas ``count``, jpage ``totalrecord``) and where the walk is (see
:func:`services.crawler.paging.left_in_walk`). Its size does not grow with the crawl:
a few numbers per column.

The spider reads a list page before the articles it lists, so the list items read run
ahead of the articles fetched; those asked for and not answered yet are counted as left.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from .paging import ColumnMark, ColumnWalk, left_after, left_in_walk

PROGRESS_FILE_SETTING = "LUQIAO_PROGRESS_FILE"
WRITE_EVERY_SECONDS = 1.0


class CrawlProgress(BaseModel):
    """What one poll has done so far, and what is left of the back-fill."""

    list_items: int = 0  # list items read (each fetched, or skipped as already held)
    published: int = 0  # articles handed downstream
    # Articles still to come: list items left down to the back-fill's end, plus articles
    # listed and asked for but not answered yet; None: unknown yet.
    left: int | None = None
    columns: int = 0  # columns whose list has been reached
    # A column walked this poll whose back-fill (or a gap) is unfinished: more polls needed.
    unfinished: bool = False
    finished: bool = False  # the spider closed: these are the poll's final figures


def crawl_progress(
    walks: dict[str, ColumnWalk],
    walked: dict[str, ColumnMark],
    published: int,
    *,
    requested: int = 0,
    finished: bool = False,
) -> CrawlProgress:
    """The report from the spider's walks (under way) and the marks they left (done)."""
    lefts: list[int | None] = []
    unfinished = False
    for column_id, walk in walks.items():
        mark = walked.get(column_id)
        if mark is not None:
            lefts.append(left_after(mark))
            unfinished |= not mark.backfill_done or mark.gap is not None
        else:
            lefts.append(left_in_walk(walk))
    known = [n for n in lefts if n is not None]
    return CrawlProgress(
        list_items=sum(w.listed for w in walks.values()),
        published=published,
        left=sum(known) + requested if lefts and len(known) == len(lefts) else None,
        columns=len(walks),
        unfinished=unfinished,
        finished=finished,
    )


def write_progress(path: Path, progress: CrawlProgress) -> None:
    """Replace the file at once (a reader never sees half a report)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(progress.model_dump_json(), "utf-8")
    os.replace(tmp, path)


def read_progress(path: Path) -> CrawlProgress | None:
    """The child's latest report; None when it has written none (yet)."""
    try:
        return CrawlProgress.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


class CrawlProgressExtension:
    """Writes the spider's progress to ``LUQIAO_PROGRESS_FILE`` (when set) every second."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgressExtension:
        from scrapy.exceptions import NotConfigured

        path = crawler.settings.get(PROGRESS_FILE_SETTING)
        if not path:
            raise NotConfigured("no progress file asked for")
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.loop = task.LoopingCall(self.write, spider)
        self.loop.start(WRITE_EVERY_SECONDS, now=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.write(spider, finished=True)

    def write(self, spider: Any, *, finished: bool = False) -> None:
        assert self.crawler.stats is not None
        published = int(self.crawler.stats.get_value("luqiao/published", 0))
        progress = crawl_progress(
            getattr(spider, "walks", {}),
            getattr(spider, "walked", {}),
            published,
            requested=max(getattr(spider, "articles_pending", 0), 0),
            finished=finished,
        )
        try:
            write_progress(self.path, progress)
        except OSError:
            pass  # the parent went away with its directory; the crawl itself goes on
