"""The crawler's state as the running crawl sees it: opened by a pipeline, read by the spider.

``SeenStorePipeline`` owns the stores (opens them in ``open_spider``, closes them in
``close_spider``) and publishes a handle on the crawler, so the spider can decide
what to fetch without owning or writing any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .column_marks import ColumnMarks
from .seen_store import SeenStore

ATTRIBUTE = "luqiao_state"


@dataclass
class CrawlState:
    pages: SeenStore
    marks: ColumnMarks

    def close(self) -> None:
        self.pages.close()
        self.marks.close()


def open_crawl_state(state_url: str) -> CrawlState:
    return CrawlState(pages=SeenStore(state_url), marks=ColumnMarks(state_url))


def expose(crawler: Any, state: CrawlState | None) -> None:
    setattr(crawler, ATTRIBUTE, state)


def state_of(crawler: Any) -> CrawlState:
    state = getattr(crawler, ATTRIBUTE, None)
    if state is None:
        raise RuntimeError("the crawler's state is not open (is SeenStorePipeline enabled?)")
    return state
