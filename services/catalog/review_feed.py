"""An imported report is also evidence: its review part is the year's richest account
of the previous plan.

The whole report text becomes one dated document (``ArticleFetched``): published
on the adoption day, at a stable ``report:`` URL, with the meeting as its source.
It goes through the same handlers as any article, either in this process on
``DATABASE_URL`` (``ExtractorHandler.handle_raw`` then ``TrackerService.handle_batch``,
as the embedded mode wires them) or, when the services run on Kafka, onto the
articles topic for the deployed extractor to read. Which part credits which plan
is the extractor's business, not this module's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time

from services.catalog.builder import ReportSource
from services.catalog.model import Commitment
from services.events import CHINA_TZ, ArticleFetched, article_id_for

# The congress's closing session: the report is "published" then on the adoption day.
PUBLISHED_AT = time(12, 0)


def report_url(source: ReportSource) -> str:
    """Stable across re-imports of the same plan year: a replay supersedes, never duplicates."""
    return f"report:{source.report_id}"


def report_article(raw: str, source: ReportSource, now: datetime | None = None) -> ArticleFetched:
    day = source.adopted_on or date(source.plan_year, 1, 1)
    url = report_url(source)
    text = raw.replace("\r\n", "\n").strip()
    return ArticleFetched(
        article_id=article_id_for(url),
        url=url,
        title=f"路桥区{source.meeting}报告",
        published_at=datetime.combine(day, PUBLISHED_AT, tzinfo=CHINA_TZ),
        source=source.meeting,
        column="工作报告",
        text=text,
        html_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        fetched_at=now or datetime.now(CHINA_TZ),
    )


@dataclass
class FeedResult:
    evidence: int
    status_changes: int
    dead_letter: str | None = None


def feed_embedded(
    article: ArticleFetched, catalog: list[Commitment], database_url: str | None = None
) -> FeedResult:
    """Extractor and tracker handlers in this process, on the tracker's database."""
    from services.extractor.handler import ExtractorHandler
    from services.extractor.settings import ExtractorSettings
    from services.tracker.service import TrackerService
    from services.tracker.settings import TrackerSettings

    tracker_settings = TrackerSettings()
    if database_url:
        tracker_settings = tracker_settings.model_copy(update={"database_url": database_url})
    tracker = TrackerService(tracker_settings, catalog=catalog)
    try:
        tracker.start()  # migrate and sync the new catalog before evidence on it arrives
        outcome = ExtractorHandler(ExtractorSettings(), catalog=catalog).handle_raw(
            article.model_dump_json().encode("utf-8")
        )
        if outcome.dead is not None:
            return FeedResult(0, 0, outcome.dead.reason)
        changes = tracker.handle_batch(outcome.evidence) if outcome.evidence else []
        return FeedResult(len(outcome.evidence), len(changes))
    finally:
        tracker.engine.dispose()


def publish_to_kafka(article: ArticleFetched) -> str:
    """Onto the articles topic, for the deployed extractor; returns the topic."""
    from services.crawler.publishing import KafkaArticlePublisher
    from services.settings import BusSettings

    settings = BusSettings()
    publisher = KafkaArticlePublisher(settings.kafka_bootstrap, settings.articles_topic)
    try:
        publisher.publish(article)
    finally:
        publisher.close()
    return settings.articles_topic
