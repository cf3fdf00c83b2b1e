"""The embedded pipeline drains the hand-off queue into the real extractor and tracker:
an entry goes only once its evidence is stored, and feeding it twice stores nothing twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from services.crawler.handoff import HandoffQueue, QueuedArticle
from services.embedded import EmbeddedPipeline
from services.events import ArticleFetched, StatusChanged, article_id_for
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from services.tracker.ledger.models import EvidenceRow
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from services.worker import BatchOutcome, RawMessage

CASE = Path(__file__).parent / "data/extractor/articles/completed_park.json"


def _article() -> ArticleFetched:
    case = json.loads(CASE.read_text("utf-8"))
    return ArticleFetched(
        article_id=article_id_for(case["url"]),
        url=case["url"],
        title=case["title"],
        published_at=case["published_at"],
        text=case["text"],
        html_sha256="c" * 64,
        fetched_at=datetime.now(UTC),
    )


def _evidence(tracker: TrackerService) -> int:
    with tracker.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EvidenceRow)) or 0)


def test_drain_stores_then_acknowledges_and_a_replay_doubles_nothing(tmp_path: Path) -> None:
    tracker = TrackerService(TrackerSettings(database_url=f"sqlite:///{tmp_path / 'l.db'}"))
    tracker.start()
    queue = HandoffQueue(f"sqlite:///{tmp_path / 'state.db'}")
    pipeline = EmbeddedPipeline(ExtractorHandler(ExtractorSettings()), tracker, queue)
    queue.put(_article())
    result = pipeline.drain()
    stored = _evidence(tracker)
    assert result.articles == 1 and result.evidence == stored > 0
    assert queue.count() == 0

    # A crash after the tracker stored it but before the entry was acknowledged: the
    # restart feeds it again, and the ledger stays as it was.
    queue.put(_article())
    assert pipeline.drain().articles == 1
    assert _evidence(tracker) == stored and queue.count() == 0


def test_a_refused_article_is_kept_with_its_reason(tmp_path: Path) -> None:
    tracker = TrackerService(TrackerSettings(database_url=f"sqlite:///{tmp_path / 'l.db'}"))
    tracker.start()
    queue = HandoffQueue(f"sqlite:///{tmp_path / 'state.db'}")
    pipeline = EmbeddedPipeline(
        ExtractorHandler(ExtractorSettings(max_text_chars=10)), tracker, queue
    )
    queue.put(_article())  # longer than 10 characters: dead-lettered as too large
    result = pipeline.drain()
    assert result.dead_letters == 1 and queue.count() == 0 and queue.count("dead") == 1
    assert _evidence(tracker) == 0


class RecordingQueue(HandoffQueue):
    """The real queue, noting how much each read asked for and got."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.reads: list[tuple[int, int]] = []

    def pending(self, limit: int = 100) -> list[QueuedArticle]:
        got = super().pending(limit)
        self.reads.append((limit, len(got)))
        return got


class RecordingTracker(TrackerService):
    def __init__(self, settings: TrackerSettings) -> None:
        super().__init__(settings)
        self.batches: list[int] = []

    def handle_raw_batch(self, batch: Sequence[RawMessage]) -> BatchOutcome[StatusChanged]:
        self.batches.append(len(batch))
        return super().handle_raw_batch(batch)


def test_the_queue_is_drained_a_chunk_at_a_time_one_tracker_batch_each(tmp_path: Path) -> None:
    """Memory does not follow the queue's length: at most one chunk is held at a time."""
    tracker = RecordingTracker(TrackerSettings(database_url=f"sqlite:///{tmp_path / 'l.db'}"))
    tracker.start()
    queue = RecordingQueue(f"sqlite:///{tmp_path / 'state.db'}")
    pipeline = EmbeddedPipeline(ExtractorHandler(ExtractorSettings()), tracker, queue)
    for i in range(7):
        article = _article()
        url = f"{article.url}?copy={i}"
        queue.put(article.model_copy(update={"url": url, "article_id": article_id_for(url)}))
    result = pipeline.drain(batch=3)
    assert result.articles == 7 and queue.count() == 0
    assert queue.reads == [(3, 3), (3, 3), (3, 1), (3, 0)]
    assert len(tracker.batches) == 3 and sum(tracker.batches) == result.evidence > 0
    assert result.evidence == _evidence(tracker) == pipeline.progress.evidence  # type: ignore[union-attr]
