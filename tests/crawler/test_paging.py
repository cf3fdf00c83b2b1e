"""The column walk (pure): stop only below the mark, resume an unfinished back-fill,
and never skip a listed item for good, whatever failed or ran out on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from services.crawler.list_parsing import ListItem
from services.crawler.paging import ColumnMark, ColumnWalk, Resume, page_for

BACKFILL = date(2024, 1, 1)


@dataclass
class FakeList:
    """A newest-first list served in pages, like the jpaas API."""

    items: list[ListItem]
    page_size: int
    failing_pages: set[int] = field(default_factory=set)
    requests: int = 0

    def poll(self, mark: ColumnMark, max_pages: int) -> tuple[list[ListItem], ColumnMark]:
        walk = ColumnWalk("c", mark, BACKFILL, max_pages)
        considered: list[ListItem] = []
        start: int | None = 1
        while start is not None:
            page = page_for(start, self.page_size)
            self.requests += 1
            if page in self.failing_pages:
                walk.fail("HTTP 503")
                break
            first = (page - 1) * self.page_size + 1
            chunk = self.items[first - 1 : first - 1 + self.page_size]
            considered += walk.read(chunk, first, len(self.items))
            start = walk.next_start(first, len(chunk), self.page_size)
        return considered, walk.advance()


def _items(count: int, newest: date, prefix: str = "a") -> list[ListItem]:
    """``count`` items, one every two days going back from ``newest``."""
    return [
        ListItem(f"https://x/{prefix}{i}", f"t{i}", newest - timedelta(days=2 * i))
        for i in range(count)
    ]


def test_a_quiet_poll_reads_one_page() -> None:
    site = FakeList(_items(30, date(2025, 6, 30)), page_size=10)
    first, mark = site.poll(ColumnMark(), max_pages=20)
    assert len(first) == 30 and mark.backfill_done and mark.newest == date(2025, 6, 30)
    site.requests = 0
    again, same = site.poll(mark, max_pages=20)
    assert site.requests == 1 and [i.url for i in again] == ["https://x/a0"]  # the mark's day
    assert same == mark


def test_a_failed_second_page_is_read_on_the_next_poll() -> None:
    site = FakeList(_items(30, date(2025, 6, 30)), page_size=10, failing_pages={2})
    first, mark = site.poll(ColumnMark(), max_pages=20)
    assert len(first) == 10 and not mark.backfill_done
    assert mark.backfill is not None and mark.backfill.position == 10
    site.failing_pages.clear()
    second, mark = site.poll(mark, max_pages=20)
    assert {i.url for i in first + second} == {i.url for i in site.items}
    assert mark.backfill_done


def test_items_older_than_the_backfill_date_end_the_walk() -> None:
    items = _items(10, BACKFILL + timedelta(days=9))  # the last five are older
    site = FakeList(items, page_size=3)
    considered, mark = site.poll(ColumnMark(), max_pages=20)
    assert [i.url for i in considered] == [i.url for i in items[:5]]
    assert mark.backfill_done


def test_new_items_during_an_unfinished_backfill_shift_the_resume_point() -> None:
    site = FakeList(_items(40, date(2025, 6, 30)), page_size=5)
    seen: set[str] = set()
    got, mark = site.poll(ColumnMark(), max_pages=2)
    seen |= {i.url for i in got}
    site.items = _items(7, date(2025, 7, 20), prefix="n") + site.items  # 7 new on top
    while not mark.backfill_done:
        got, mark = site.poll(mark, max_pages=2)
        seen |= {i.url for i in got}
    assert seen == {i.url for i in site.items}


@settings(max_examples=400, deadline=None)
@given(
    count=st.integers(0, 60),
    page_size=st.integers(1, 8),
    max_pages=st.integers(1, 4),
    failing=st.sets(st.integers(1, 10), max_size=3),
    added=st.lists(st.integers(0, 6), min_size=1, max_size=4),
)
def test_every_item_is_read_eventually(
    count: int, page_size: int, max_pages: int, failing: set[int], added: list[int]
) -> None:
    """Whatever fails on the first polls and however small the page budget, once the
    site answers again every item is read after a bounded number of polls."""
    site = FakeList(_items(count, date(2025, 6, 30)), page_size, failing_pages=set(failing))
    seen: set[str] = set()
    mark = ColumnMark()
    newest = date(2025, 6, 30)
    for batch, extra in enumerate(added):  # polls with failures, new items between them
        got, mark = site.poll(mark, max_pages)
        seen |= {i.url for i in got}
        newest += timedelta(days=2 * extra + 1)
        site.items = _items(extra, newest, prefix=f"p{batch}-") + site.items
    site.failing_pages.clear()
    for _ in range(len(site.items) // max(page_size * max_pages, 1) + 3):
        got, mark = site.poll(mark, max_pages)
        seen |= {i.url for i in got}
    assert seen == {i.url for i in site.items}


def test_items_removed_during_a_backfill_are_stepped_back_over() -> None:
    """The resume point moved up (items were withdrawn): the jump lands below what was
    read, notices it, and steps back instead of skipping."""
    site = FakeList(_items(40, date(2025, 6, 30)), page_size=5)
    got, mark = site.poll(ColumnMark(), max_pages=2)
    seen = {i.url for i in got}
    del site.items[3:9]  # six items withdrawn above the resume point
    while not mark.backfill_done:
        got, mark = site.poll(mark, max_pages=2)
        seen |= {i.url for i in got}
    assert seen >= {i.url for i in site.items}


def test_a_mark_survives_its_store(tmp_path: Path) -> None:
    from services.crawler.column_marks import ColumnMarks

    mark = ColumnMark(
        newest=date(2025, 6, 30),
        oldest=date(2025, 3, 1),
        backfill=Resume(40, 120, date(2025, 3, 1)),
        gap=Resume(7, 118, date(2025, 6, 1), until=date(2025, 5, 20)),
    )
    store = ColumnMarks(f"sqlite:///{tmp_path / 'state.db'}")
    store.save("1683482", mark, name="今日路桥", error=None)
    assert store.get("1683482") == mark
    assert store.get("other") == ColumnMark()
    store.close()


def _poll_with_lookback(
    site: FakeList, mark: ColumnMark, lookback_days: int
) -> tuple[list[ListItem], ColumnMark]:
    walk = ColumnWalk("c", mark, BACKFILL, 20, lookback_days=lookback_days)
    considered: list[ListItem] = []
    start: int | None = 1
    while start is not None:
        first = (page_for(start, site.page_size) - 1) * site.page_size + 1
        chunk = site.items[first - 1 : first - 1 + site.page_size]
        considered += walk.read(chunk, first, len(site.items))
        start = walk.next_start(first, len(chunk), site.page_size)
    return considered, walk.advance()


def test_an_article_listed_late_below_the_mark_is_read_within_the_lookback() -> None:
    """Published late with an earlier date, it is listed below the newest day read."""
    newest = date(2025, 6, 30)
    for lookback, found in ((0, False), (3, True)):
        site = FakeList(_items(30, newest), page_size=10)
        _, mark = _poll_with_lookback(site, ColumnMark(), lookback)
        late = ListItem("https://x/late", "late", newest - timedelta(days=2))
        site.items.insert(2, late)  # between a1 (06-28) and a2 (06-26)
        again, _ = _poll_with_lookback(site, mark, lookback)
        assert (late in again) is found
