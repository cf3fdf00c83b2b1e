"""The embedded hand-off queue: durable, ordered, one entry per article revision."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.crawler.handoff import HandoffQueue
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
