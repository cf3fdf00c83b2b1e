"""Answers rendered once per ledger version and query (body bytes and ETag), for the
read model's endpoints (the list, one commitment).

A busy API asks the same few questions between two ledger changes; rendering the
answer (queries, pydantic, JSON, a hash) costs far more than looking it up. The
answers are kept for one ledger version only: a new version empties the store, so
nothing is ever served for a version it was not rendered at or after. Past
`kept` distinct queries the store starts again, so a client walking every filter
or id cannot grow it without bound.

Rendering is single-flight per query: when a new version arrives, the 50 requests
waiting for the same answer would otherwise all render it at once on the thread
pool (measured on `/metrics`: most of a loaded run spent rendering the same bytes
again); one renders, the others wait for it and take its answer. Different queries
render side by side (one lock for all made 25 details, each a few queries, wait in
one line: p99 185–370 ms).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from services.tracker.ledger.read_model import LedgerVersion

QueryT = TypeVar("QueryT")
AnswerT = TypeVar("AnswerT")

# Rendered answers kept per ledger version (distinct queries).
ANSWERS_KEPT = 256


@dataclass(frozen=True)
class RenderedPage:
    """An answer's JSON body and the strong validator of those bytes."""

    body: bytes
    etag: str


@dataclass(frozen=True)
class Kept(Generic[AnswerT]):
    """A stored answer (a box, so that an answer of ``None``, e.g. "no such
    commitment", is told apart from "not rendered yet")."""

    answer: AnswerT


class RenderedAnswers(Generic[QueryT, AnswerT]):
    """Thread-safe: looked up on the event loop, filled from the thread pool."""

    def __init__(self, kept: int = ANSWERS_KEPT) -> None:
        self._kept = kept
        self._version: LedgerVersion | None = None
        self._answers: dict[QueryT, Kept[AnswerT]] = {}
        self._lock = threading.Lock()
        self._rendering: dict[QueryT, threading.Lock] = {}  # one per query being rendered

    def get(self, version: LedgerVersion, query: QueryT) -> Kept[AnswerT] | None:
        """The answer rendered at `version`, if any."""
        with self._lock:
            return self._answers.get(query) if version == self._version else None

    def put(self, version: LedgerVersion, query: QueryT, answer: AnswerT) -> None:
        """Keep an answer rendered from a database read that began after `version`
        was read (so it is at least as new as `version`)."""
        with self._lock:
            if version != self._version:
                self._answers = {}
                self._version = version
            elif len(self._answers) >= self._kept:
                self._answers = {}
            self._answers[query] = Kept(answer)

    async def answer(
        self, version: LedgerVersion, query: QueryT, render: Callable[[], AnswerT]
    ) -> AnswerT:
        """The answer at `version`: from memory on the event loop when kept, else
        rendered once on the thread pool (`render_once`)."""
        kept = self.get(version, query)
        if kept is not None:
            return kept.answer
        return await run_in_threadpool(self.render_once, version, query, render)

    def render_once(
        self, version: LedgerVersion, query: QueryT, render: Callable[[], AnswerT]
    ) -> AnswerT:
        """The answer at `version`: kept, or rendered by `render` (blocking; one
        render at a time, and a caller that waited takes what the one before it
        rendered). `render` must read the database only after `version` was read."""
        with self._lock:
            turn = self._rendering.setdefault(query, threading.Lock())
        try:
            with turn:
                kept = self.get(version, query)
                if kept is not None:
                    return kept.answer
                answer = render()
                self.put(version, query, answer)
                return answer
        finally:
            with self._lock:
                if not turn.locked() and self._rendering.get(query) is turn:
                    del self._rendering[query]  # nobody waits: the map stays small
