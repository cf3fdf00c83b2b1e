"""The ledger's version as the read model checks it: exact for this process's own
writes, at most `max_age` seconds old for another process's.

Reading `read_model.ledger_version` costs a database round trip with a count over
the evidence table; done on every request it would cost more than serving the
cached answer it guards. So a version read is reused while it is younger than
`max_age` and no transaction has committed through this process's sessions since
it started (an ``after_commit`` listener counts them): a status decided here is
served at once, one decided by another replica within `max_age`. ``max_age=0``
reads the version on every call. One read at a time: callers that arrive while
one is under way wait for it and reuse it.

From the event loop (`current_async`), a read that is only too old (no commit here
since) is not waited for: the caller gets the last version at once and one read
starts in the background, so another replica's writes show within `max_age` plus
one read. Without that, every `max_age` all 50 requests in flight hopped to the
thread pool and waited for the read (a count over the evidence table, 10–50 ms),
four times a second: much of the API's p99 under load.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from services.tracker.ledger.read_model import LedgerVersion, ledger_version


@dataclass(frozen=True)
class _Reading:
    commits_before: int  # commits seen through the sessions when the read started
    started: float
    version: LedgerVersion


class LedgerVersionWatch:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_age: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.max_age = max_age
        self.clock = clock
        self._commits = 0
        self._last: _Reading | None = None
        self._lock = threading.Lock()
        self._refreshing: asyncio.Future[LedgerVersion] | None = None  # kept from GC
        event.listen(sessions, "after_commit", self._committed)

    def _committed(self, _session: Session) -> None:
        self._commits += 1

    def _fresh(self) -> LedgerVersion | None:
        last = self._last
        if (
            last is not None
            and last.commits_before == self._commits
            and self.clock() - last.started < self.max_age
        ):
            return last.version
        return None

    def current(self) -> LedgerVersion:
        """The version (blocking: reads the database when the last read is stale)."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        with self._lock:
            fresh = self._fresh()  # read by the caller we waited for
            if fresh is not None:
                return fresh
            commits, started = self._commits, self.clock()
            with self.sessions() as session:
                version = ledger_version(session)
            self._last = _Reading(commits, started, version)
            return version

    async def current_async(self) -> LedgerVersion:
        """The same from the event loop: no thread hop while the last read is fresh,
        nor while it is only old (then refreshed in the background); a commit
        through this process's sessions is always waited for."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        last = self._last
        if self.max_age > 0 and last is not None and last.commits_before == self._commits:
            if self._refreshing is None or self._refreshing.done():
                self._refreshing = asyncio.ensure_future(run_in_threadpool(self.current))
                self._refreshing.add_done_callback(_swallow)
            return last.version
        return await run_in_threadpool(self.current)


def _swallow(read: asyncio.Future[LedgerVersion]) -> None:
    """A background read that failed (the database away) is retried by the next
    caller; its error is not left unretrieved on the loop."""
    if not read.cancelled():
        read.exception()
