"""One message in, evidence (or a dead letter) out. Used by the Kafka app (through
the worker skeleton in `services.worker`), the embedded mode and the offline
`extract` command alike."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.deadletters import PoisonMessage, decode_event
from services.events import ArticleFetched, DeadLetter, EvidenceFound
from services.extractor.matching import ArticleExtractor
from services.extractor.settings import ExtractorSettings
from services.pipeline_metrics import EVENTS_CONSUMED, HANDLER_SECONDS
from services.worker import BatchOutcome, RawMessage, process_batch


@dataclass
class Outcome:
    evidence: list[EvidenceFound] = field(default_factory=list)
    dead: DeadLetter | None = None


class ExtractorHandler:
    """The extractor's `Worker`: decode checks an article, handle finds its evidence."""

    service = "extractor"

    def __init__(
        self, settings: ExtractorSettings, catalog: list[Commitment] | None = None
    ) -> None:
        self.settings = settings
        self.extractor = ArticleExtractor(
            catalog if catalog is not None else load_catalog(), settings.cache_path()
        )

    def check(self, raw: bytes) -> ArticleFetched:
        if len(raw) > self.settings.max_text_chars * 4:
            raise PoisonMessage(f"too_large: {len(raw)} bytes")
        article = decode_event(raw, ArticleFetched)
        if not article.text.strip():
            raise PoisonMessage("empty_text: the article has no text")
        if len(article.text) > self.settings.max_text_chars:
            raise PoisonMessage(f"too_large: {len(article.text)} characters")
        return article

    def decode(self, raw: bytes) -> ArticleFetched:
        EVENTS_CONSUMED.labels(service="extractor", topic="articles").inc()
        return self.check(raw)

    def handle_article(self, article: ArticleFetched) -> list[EvidenceFound]:
        started = time.perf_counter()
        evidence = self.extractor.evidence(article)
        HANDLER_SECONDS.labels(service="extractor", handler="article").observe(
            time.perf_counter() - started
        )
        return evidence

    def handle(self, items: list[ArticleFetched]) -> list[EvidenceFound]:
        return [ev for article in items for ev in self.handle_article(article)]

    def handle_raw_batch(self, batch: Sequence[RawMessage]) -> BatchOutcome[EvidenceFound]:
        """The whole path of a batch, as the Kafka subscriber runs it."""
        return process_batch(self, self.settings.articles_topic, batch)

    def handle_raw(
        self,
        raw: bytes,
        key: bytes | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> Outcome:
        """One message through the same path (the embedded mode, the review feed)."""
        outcome = self.handle_raw_batch([RawMessage(raw, key, partition, offset)])
        return Outcome(evidence=outcome.out, dead=outcome.dead[0].letter if outcome.dead else None)
