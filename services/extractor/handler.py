"""One message in, evidence (or a dead letter) out. Used by the Kafka app, the
embedded mode and the offline `extract` command alike."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.deadletters import PoisonMessage, dead_letter, decode_event, reason_code
from services.events import ArticleFetched, DeadLetter, EvidenceFound
from services.extractor.matching import ArticleExtractor
from services.extractor.settings import ExtractorSettings
from services.pipeline_metrics import DEADLETTERS, EVENTS_CONSUMED, HANDLER_SECONDS


@dataclass
class Outcome:
    evidence: list[EvidenceFound] = field(default_factory=list)
    dead: DeadLetter | None = None


class ExtractorHandler:
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

    def handle_article(self, article: ArticleFetched) -> list[EvidenceFound]:
        return self.extractor.evidence(article)

    def handle_raw(
        self,
        raw: bytes,
        key: bytes | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> Outcome:
        started = time.perf_counter()
        EVENTS_CONSUMED.labels(service="extractor", topic="articles").inc()
        try:
            article = self.check(raw)
        except PoisonMessage as exc:
            DEADLETTERS.labels(service="extractor", reason=reason_code(exc.reason)).inc()
            return Outcome(
                dead=dead_letter(
                    raw,
                    reason=exc.reason,
                    source_topic=self.settings.articles_topic,
                    service="extractor",
                    key=key,
                    partition=partition,
                    offset=offset,
                )
            )
        outcome = Outcome(evidence=self.handle_article(article))
        HANDLER_SECONDS.labels(service="extractor", handler="article").observe(
            time.perf_counter() - started
        )
        return outcome
