"""How far to read a column's list on one poll, and what that poll adds to its mark.

Pure logic (dates and list positions in, decisions out); the spider does the I/O.

Lists are newest first. Per column the crawler keeps a :class:`ColumnMark`: the
list is known to be read completely from ``newest`` down to ``oldest``, and,
while the back-fill is unfinished, the list position (out of ``resume_total``
items at the time) where reading stopped. A poll then

1. reads from the top and stops only *below* the mark (an item older than
   ``newest``; items of the mark's own day are looked at again, cheaply), or at
   the back-fill date or the end of the list;
2. when the back-fill is unfinished, jumps to where it stopped (shifted by the
   items added since, and checked to overlap what was read) and reads on down.

A list page that fails, the page budget running out, or a crash leave the mark
where it was (or where the contiguous part read so far puts it), so the next
poll reads the rest: an article missed by one poll is never skipped for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from .list_parsing import ListItem

Phase = Literal["head", "backfill"]
MAX_STEP_BACKS = 3


@dataclass(frozen=True)
class ColumnMark:
    newest: date | None = None
    oldest: date | None = None
    backfill_done: bool = False
    resume_position: int | None = None
    resume_total: int | None = None


@dataclass
class ColumnWalk:
    """One poll's walk through one column's list; travels with its list requests."""

    column_id: str
    mark: ColumnMark
    backfill_date: date
    max_pages: int
    revisit_since: date | None = None  # items this recent keep paging going (corrections)
    phase: Phase = "head"
    pages: int = 0
    listed: int = 0
    top: date | None = None
    total: int | None = None
    head_done: bool = False
    end_reached: bool = False
    error: str | None = None
    before_backfill: int = 0
    step_backs: int = 0
    # The last item read in the current contiguous stretch (head, or back-fill after the jump).
    last_position: int | None = None
    last_date: date | None = None
    jumped_from: int | None = field(default=None)

    # ---- per page ------------------------------------------------------------------------
    def read(self, items: list[ListItem], first_position: int, total: int | None) -> list[ListItem]:
        """The items of one list page to consider; records where the walk must stop."""
        self.pages += 1
        if total is not None:
            self.total = total
        self._stop = False
        if self.phase == "backfill" and self._overshot(items):
            return []
        wanted: list[ListItem] = []
        for offset, item in enumerate(items):
            if self.phase == "head" and self.top is None and item.date is not None:
                self.top = item.date
            if item.date is not None and item.date < self.backfill_date:
                self.before_backfill += 1
                self.end_reached = True
                self._stop = True
                break
            if self.phase == "head" and self._below_mark(item):
                self.head_done = True
                self._stop = True
                break
            wanted.append(item)
            self.listed += 1
            self.last_position = first_position + offset
            self.last_date = item.date or self.last_date
        if self.end_reached and self.phase == "head":
            self.head_done = True
        return wanted

    def next_start(self, first_position: int, count: int, page_size: int) -> int | None:
        """1-based list position to read next, or None when this column is done for the poll."""
        if self._stepping_back:
            self._stepping_back = False
            return max(1, first_position - page_size)
        following = first_position + count
        at_end = count == 0 or (self.total is not None and following > self.total)
        if not self._stop and at_end:
            self.end_reached = True
            if self.phase == "head":
                self.head_done = True
        if self.end_reached or self._stop:
            return self._jump(page_size)
        if self.pages >= self.max_pages:
            return None
        return following

    def fail(self, reason: str) -> None:
        """A list page could not be read (after Scrapy's retries): the walk ends here."""
        self.error = reason

    @property
    def saw_items(self) -> bool:
        """Whether the list showed any item at all (an empty column is an error)."""
        return self.listed > 0 or self.top is not None or self.before_backfill > 0

    # ---- the mark this poll leaves --------------------------------------------------------
    def advance(self) -> ColumnMark:
        mark = self.mark
        if self.phase == "backfill":
            newest = _latest(mark.newest, self.top)
            if self.end_reached:
                return ColumnMark(newest, self.last_date or mark.oldest, True, None, None)
            if self.last_position is not None and self.last_position != self.jumped_from:
                return ColumnMark(newest, self.last_date, False, self.last_position, self.total)
            return replace(mark, newest=newest)
        if mark.newest is None:
            # The first read of this column: whatever was read from the top is contiguous.
            if self.top is None:
                return replace(mark, backfill_done=mark.backfill_done or self.end_reached)
            if self.end_reached:
                return ColumnMark(self.top, self.last_date, True, None, None)
            return ColumnMark(self.top, self.last_date, False, self.last_position, self.total)
        if not self.head_done:
            return mark  # a gap between what was read and the mark: read again next poll
        newest = _latest(mark.newest, self.top)
        if self.end_reached:
            return ColumnMark(newest, self.last_date or mark.oldest, True, None, None)
        return replace(mark, newest=newest)

    # ---- helpers -------------------------------------------------------------------------
    _stop: bool = False
    _stepping_back: bool = False

    def _below_mark(self, item: ListItem) -> bool:
        newest = self.mark.newest
        if newest is None or item.date is None or item.date >= newest:
            return False
        return not (self.revisit_since is not None and item.date >= self.revisit_since)

    def _jump(self, page_size: int) -> int | None:
        """From a finished head to where the unfinished back-fill stopped."""
        mark = self.mark
        if (
            self.phase != "head"
            or self.end_reached
            or not self.head_done
            or mark.newest is None
            or mark.backfill_done
            or mark.resume_position is None
            or self.pages >= self.max_pages
        ):
            return None
        added = (
            self.total - mark.resume_total
            if self.total is not None and mark.resume_total is not None
            else 0
        )
        self.phase = "backfill"
        self.last_position = self.last_date = None
        target = max(1, mark.resume_position + max(added, 0))
        self.jumped_from = target
        return target

    def _overshot(self, items: list[ListItem]) -> bool:
        """The jump landed below what was read (items were removed): step back a page."""
        oldest = self.mark.oldest
        first = next((i.date for i in items if i.date is not None), None)
        if oldest is None or first is None or first >= oldest or self.step_backs >= MAX_STEP_BACKS:
            return False
        self.step_backs += 1
        self._stepping_back = True
        return True


def _latest(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def page_for(position: int, page_size: int) -> int:
    """The 1-based page (of ``page_size`` items) holding a 1-based list position."""
    return (max(position, 1) - 1) // page_size + 1
