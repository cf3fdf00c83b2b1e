"""A crawl's progress report: how many list items are left down to the back-fill's end
(from the list's own count and where the walk is), and the report file the parent reads."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from services.crawler.list_parsing import ListItem
from services.crawler.paging import ColumnMark, ColumnWalk, left_after, left_in_walk, page_for
from services.crawler.progress import (
    CrawlProgress,
    crawl_progress,
    read_progress,
    write_progress,
)

BACKFILL = date(2024, 1, 1)


def _items(count: int) -> list[ListItem]:
    newest = date(2025, 6, 30)
    return [ListItem(f"https://x/a{i}", f"t{i}", newest - timedelta(days=i)) for i in range(count)]


def _poll(
    items: list[ListItem], mark: ColumnMark, max_pages: int, page_size: int
) -> tuple[set[str], list[int | None], ColumnMark]:
    """One poll's walk; returns the items read, the estimate after each page, the mark."""
    walk = ColumnWalk("c", mark, BACKFILL, max_pages)
    estimates: list[int | None] = [left_in_walk(walk)]
    read: set[str] = set()
    start: int | None = 1
    while start is not None:
        first = (page_for(start, page_size) - 1) * page_size + 1
        chunk = items[first - 1 : first - 1 + page_size]
        read |= {i.url for i in walk.read(chunk, first, len(items))}
        estimates.append(left_in_walk(walk))
        start = walk.next_start(first, len(chunk), page_size)
    return read, estimates, walk.advance()


def test_the_estimate_counts_down_to_zero_over_the_polls_of_a_backfill() -> None:
    items = _items(100)
    read, estimates, mark = _poll(items, ColumnMark(), max_pages=3, page_size=10)
    assert estimates[0] is None  # the list's size is not known before its first page
    assert estimates[1:] == [90, 80, 70] and len(read) == 30
    assert left_after(mark) == 70
    done = set(read)
    while not mark.backfill_done:
        read, estimates, mark = _poll(items, mark, max_pages=3, page_size=10)
        done |= read
        # Known from the start of every later poll (the mark), and exact: no item is
        # older than the back-fill date here (the mark's own day is read again, cheaply).
        assert all(e is not None for e in estimates)
        assert left_after(mark) == 100 - len(done)
    assert left_after(mark) == 0


def test_a_finished_backfill_leaves_nothing() -> None:
    assert left_after(ColumnMark(date(2025, 6, 30), date(2024, 1, 2), True)) == 0
    assert left_after(ColumnMark()) is None  # never read: unknown


def test_the_report_sums_columns_and_is_unknown_while_one_column_is() -> None:
    items = _items(40)
    under_way = ColumnWalk("a", ColumnMark(), BACKFILL, 2)
    under_way.read(items[:10], 1, 40)
    not_yet = ColumnWalk("b", ColumnMark(), BACKFILL, 2)
    report = crawl_progress({"a": under_way, "b": not_yet}, {}, published=7)
    assert report.left is None and report.list_items == 10 and report.published == 7
    not_yet.read(items[:10], 1, 40)
    report = crawl_progress({"a": under_way, "b": not_yet}, {}, published=7)
    assert report.left == 60 and report.list_items == 20 and report.columns == 2
    # Listed ahead of the articles: the ones asked for and not answered yet are still to come.
    assert crawl_progress({"a": under_way, "b": not_yet}, {}, 7, requested=5).left == 65
    # Column b's walk ends (budget spent): its mark says what is left, and more polls are due.
    walked = {"b": not_yet.advance()}
    report = crawl_progress({"a": under_way, "b": not_yet}, walked, published=7, finished=True)
    assert report.unfinished and report.finished and report.left == 60


def test_the_report_file_is_read_back_and_a_missing_or_broken_one_is_none(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    assert read_progress(path) is None
    write_progress(path, CrawlProgress(list_items=3, published=2, left=5, columns=1))
    assert read_progress(path) == CrawlProgress(list_items=3, published=2, left=5, columns=1)
    path.write_text("{not json", "utf-8")
    assert read_progress(path) is None
