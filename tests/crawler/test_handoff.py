"""The embedded hand-off queue: durable, ordered, one entry per article revision,
committed together with the page's seen mark."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from services.crawler.handoff import HandoffQueue
from services.crawler.seen_store import SeenStore
from services.events import ArticleFetched, article_id_for


def article(url: str, sha: str = "a" * 64) -> ArticleFetched:
    return ArticleFetched(
        article_id=article_id_for(url),
        url=url,
        title="标题",
        published_at=datetime(2025, 3, 1, tzinfo=UTC),
        text="正文",
        html_sha256=sha,
        fetched_at=datetime(2025, 3, 2, tzinfo=UTC),
    )


def test_put_pending_ack_refuse(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    queue = HandoffQueue(url)
    first, second = article("https://x/1.html"), article("https://x/2.html")
    queue.put(first)
    queue.put(second)
    queue.put(first)  # the same revision again (a crawl that died before its seen mark)
    queue.put(article("https://x/1.html", sha="b" * 64))  # a correction is a new entry
    pending = queue.pending()
    assert [p.article_id for p in pending] == [
        first.article_id,
        second.article_id,
        first.article_id,
    ]
    assert ArticleFetched.model_validate_json(pending[0].payload) == first
    queue.ack(pending[0].seq)
    queue.refuse(pending[1].seq, "bad")
    # Another process (the restarted parent) sees exactly what is left.
    again = HandoffQueue(url)
    assert [p.seq for p in again.pending()] == [pending[2].seq]
    assert again.count() == 1 and again.count("dead") == 1
    queue.close()
    again.close()


def _mark_published(pages: SeenStore, event: ArticleFetched) -> Callable[[Session], None]:
    def mark(session: Session) -> None:
        pages.record(event.url, event.article_id, outcome="new", published=True, session=session)

    return mark


def test_the_entry_and_the_seen_mark_are_one_transaction(tmp_path: Path) -> None:
    """What the crawl child does per article: both are committed, or neither."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    queue, pages = HandoffQueue(url), SeenStore(url)
    kept, lost = article("https://x/1.html"), article("https://x/2.html")
    queue.put(kept, also=_mark_published(pages, kept))

    def mark_then_fail(session: Session) -> None:
        _mark_published(pages, lost)(session)
        session.flush()  # the row is written in the transaction before the failure
        raise OSError("disk full")

    with pytest.raises(OSError):
        queue.put(lost, also=mark_then_fail)
    # Another process (the parent, a next crawl child) sees the committed state only.
    reader_queue, reader_pages = HandoffQueue(url), SeenStore(url)
    assert [p.article_id for p in reader_queue.pending()] == [kept.article_id]
    seen = reader_pages.get(kept.url)
    assert seen is not None and seen.published
    assert reader_pages.get(lost.url) is None  # not marked: the next poll fetches it again
    for store in (queue, pages, reader_queue, reader_pages):
        store.close()
