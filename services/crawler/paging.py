"""How far to read a column's list on one poll, and what that poll adds to its mark.

Pure logic (dates and list positions in, decisions out); the spider does the I/O.

Lists are newest first. Per column the crawler keeps a :class:`ColumnMark`: the
list is known to be read completely from ``newest`` down to ``oldest``; above
that there may be one *gap* (a stretch a poll could not finish: its page budget
ran out or a list page failed), and below it, while the back-fill is
unfinished, the rest down to the back-fill date. Gap and back-fill are kept as
the list position where reading stopped (out of how many items the list had),
so a later poll can jump there. A poll then

1. reads from the top and stops only *below* the mark (an item older than
   ``newest``; items of the mark's own day are looked at again, cheaply), or at
   the back-fill date or the end of the list;
2. if there is a gap, jumps to where it stopped (shifted by the items added
   since; it starts on the last item read, and steps back a page when that item
   is no longer there) and reads down to the gap's end;
3. likewise for an unfinished back-fill, down to the back-fill date.

A list page that fails, the page budget running out, or a crash leave a mark
from which the next poll reads the rest: an article missed by one poll is
never skipped for good. Each phase has its own page budget (the jump's first
page is extra), so every poll makes progress.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from .list_parsing import ListItem

Phase = Literal["head", "gap", "backfill"]
MAX_STEP_BACKS = 3


@dataclass(frozen=True)
class Resume:
    """Where an unfinished stretch stopped: the last item read, and the list's size then."""

    position: int
    total: int | None
    last_date: date | None
    until: date | None = None  # a gap ends above this day (the mark's ``newest`` then)


@dataclass(frozen=True)
class ColumnMark:
    newest: date | None = None
    oldest: date | None = None
    backfill_done: bool = False
    backfill: Resume | None = None
    gap: Resume | None = None


@dataclass
class _Stretch:
    """What one phase read contiguously in this poll."""

    last_position: int | None = None
    last_date: date | None = None
    done: bool = False


@dataclass
class ColumnWalk:
    """One poll's walk through one column's list; travels with its list requests."""

    column_id: str
    mark: ColumnMark
    backfill_date: date
    max_pages: int
    revisit_since: date | None = None  # items this recent keep paging going (corrections)
    # Items dated this many days before the mark's newest keep the head phase going: an
    # article published late with an earlier date is listed below the mark.
    lookback_days: int = 0
    phase: Phase = "head"
    pages: int = 0
    phase_pages: int = 0
    listed: int = 0
    top: date | None = None
    total: int | None = None
    end_reached: bool = False
    before_backfill: int = 0
    error: str | None = None
    step_backs: int = 0

    def __post_init__(self) -> None:
        self.stretches: dict[Phase, _Stretch] = {p: _Stretch() for p in ("head", "gap", "backfill")}
        self._stop = False
        self._stepping_back = False

    @property
    def saw_items(self) -> bool:
        """Whether the list showed any item at all (an empty column is an error)."""
        return self.listed > 0 or self.top is not None or self.before_backfill > 0

    # ---- per page ------------------------------------------------------------------------
    def read(self, items: list[ListItem], first_position: int, total: int | None) -> list[ListItem]:
        """The items of one list page to consider; records where the walk must stop."""
        self.pages += 1
        self.phase_pages += 1
        if total is not None:
            self.total = total
        self._stop = False
        stretch = self.stretches[self.phase]
        if self.phase != "head" and stretch.last_position is None and self._overshot(items):
            return []
        wanted: list[ListItem] = []
        for offset, item in enumerate(items):
            if self.phase == "head" and self.top is None and item.date is not None:
                self.top = item.date
            if item.date is not None and item.date < self.backfill_date:
                self.before_backfill += 1
                self.end_reached = True
                break
            if self._ends_phase(item):
                stretch.done = True
                self._stop = True
                break
            wanted.append(item)
            self.listed += 1
            stretch.last_position = first_position + offset
            stretch.last_date = item.date or stretch.last_date
        if self.end_reached:
            self._stop = True
            for phase in ("head", "gap", "backfill"):
                self.stretches[phase].done = True  # everything down to the end is read
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
            for phase in ("head", "gap", "backfill"):
                self.stretches[phase].done = True
        if self.end_reached or self._stop:
            return self._jump()
        budget = self.max_pages + (0 if self.phase == "head" else 1)
        if self.phase_pages >= budget:
            if self.phase == "head" and self._at_mark_day():
                self.stretches["head"].done = True  # out of pages on the mark's own day
                return self._jump()
            return None
        return following

    def fail(self, reason: str) -> None:
        """A list page could not be read (after Scrapy's retries): the walk ends here."""
        self.error = reason

    # ---- the mark this poll leaves --------------------------------------------------------
    def advance(self) -> ColumnMark:
        mark = self.mark
        head, gap, back = (self.stretches[p] for p in ("head", "gap", "backfill"))
        if mark.newest is None:
            # The first read of this column: whatever was read from the top is contiguous.
            if self.top is None:
                return replace(mark, backfill_done=mark.backfill_done or self.end_reached)
            if head.done:
                return ColumnMark(self.top, head.last_date or self.top, True)
            resume = self._resume(head)
            return ColumnMark(self.top, head.last_date, False, resume, None)
        newest = _latest(mark.newest, self.top)
        if not head.done:
            if head.last_position is None:
                return mark  # nothing read: all stays as it was
            # Read from the top but not down to the mark: that stretch is a gap now (one
            # gap at most: an older one is merged into it, reading down to its end).
            until = mark.gap.until if mark.gap is not None else mark.newest
            return replace(mark, newest=newest, gap=self._resume(head, until))
        result = replace(mark, newest=newest)
        if mark.gap is not None and self.phase in ("gap", "backfill") or self.end_reached:
            if gap.done or self.end_reached:
                result = replace(result, gap=None)
            elif gap.last_position is not None:
                result = replace(
                    result, gap=self._resume(gap, mark.gap.until if mark.gap else None)
                )
        if self.end_reached:
            return replace(result, backfill_done=True, backfill=None, oldest=self._lowest(result))
        if self.phase == "backfill" and back.last_position is not None:
            result = replace(result, oldest=back.last_date, backfill=self._resume(back))
        return result

    # ---- helpers -------------------------------------------------------------------------
    def _resume(self, stretch: _Stretch, until: date | None = None) -> Resume:
        assert stretch.last_position is not None
        return Resume(stretch.last_position, self.total, stretch.last_date, until)

    def _lowest(self, mark: ColumnMark) -> date | None:
        dates = [s.last_date for s in self.stretches.values() if s.last_date is not None]
        return min(dates, default=mark.oldest)

    def _at_mark_day(self) -> bool:
        newest, last = self.mark.newest, self.stretches["head"].last_date
        return newest is not None and last is not None and last <= newest

    def _ends_phase(self, item: ListItem) -> bool:
        if item.date is None:
            return False
        if self.phase == "head":
            newest = self.mark.newest
            if newest is None or item.date >= newest - timedelta(days=self.lookback_days):
                return False
            return not (self.revisit_since is not None and item.date >= self.revisit_since)
        if self.phase == "gap":
            until = self.mark.gap.until if self.mark.gap else None
            return until is not None and item.date < until
        return False

    def _jump(self) -> int | None:
        """From a finished phase to where the next unfinished stretch stopped."""
        if self.end_reached or self.mark.newest is None:
            return None
        order: list[tuple[Phase, Resume | None]] = [
            ("gap", self.mark.gap),
            ("backfill", None if self.mark.backfill_done else self.mark.backfill),
        ]
        current = ("head", "gap", "backfill").index(self.phase)
        if not self.stretches[self.phase].done:
            return None
        for phase, resume in order:
            if ("head", "gap", "backfill").index(phase) <= current or resume is None:
                continue
            added = (
                self.total - resume.total
                if self.total is not None and resume.total is not None
                else 0
            )
            self.phase = phase
            self.phase_pages = 0
            return max(1, resume.position + max(added, 0))
        return None

    def _overshot(self, items: list[ListItem]) -> bool:
        """The jump should land on the last item read; if the page starts below it (items
        were removed), step back a page."""
        resume = self.mark.gap if self.phase == "gap" else self.mark.backfill
        last = resume.last_date if resume else None
        first = next((i.date for i in items if i.date is not None), None)
        if last is None or first is None or first >= last or self.step_backs >= MAX_STEP_BACKS:
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


# ---- how much is left: the back-fill's progress ----------------------------------------
def left_after(mark: ColumnMark) -> int | None:
    """List items a column still has to read down to the back-fill's end, by its mark
    (the list's size then less where the back-fill stopped); None before its first read.

    An upper bound: the back-fill date may end the list earlier than its last item.
    """
    if mark.backfill_done:
        return 0
    if mark.backfill is None or mark.backfill.total is None:
        return None
    return max(mark.backfill.total - mark.backfill.position, 0)


def left_in_walk(walk: ColumnWalk) -> int | None:
    """Like :func:`left_after`, while a walk is under way (the items it read are done)."""
    if walk.end_reached:
        return 0
    if walk.mark.newest is None or walk.phase == "backfill":
        # A first read goes from the top down; a back-fill phase reads on from its mark.
        stretch = walk.stretches["head" if walk.mark.newest is None else "backfill"]
        if walk.total is None:
            return None if walk.mark.newest is None else left_after(walk.mark)
        if stretch.last_position is None:
            return left_after(walk.mark) if walk.mark.newest is not None else walk.total
        return max(walk.total - stretch.last_position, 0)
    return left_after(walk.mark)
