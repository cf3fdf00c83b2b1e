"""THE BASELINE, not the product: a naive commitment linker the extractor is measured against.

For each article, for every commitment, every entity, alias and keyword is searched in the
text with Python's ``in``; a commitment is linked when one of its names occurs, or at least
two of its keywords do. This is what one writes first. It uses the extractor's own term
lists (``build_profiles``), so the two differ only in how they search and in what they do
after: the extractor makes one Aho-Corasick pass and then reads sentences, stages, figures
and places, which this baseline does not do at all.

``NaiveExtractor`` wraps it with the ``evidence(article)`` method of
``services.extractor.matching.ArticleExtractor`` so it can stand in as the extractor
service's matcher, to measure the service through Kafka with the naive search inside.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.catalog.model import Commitment
from services.events import ArticleFetched, EvidenceFound, Stage, evidence_id_for
from services.extractor.terms import build_profiles

MIN_KEYWORDS = 2
BASELINE_VERSION = "naive-baseline"


@dataclass(frozen=True)
class NaiveTerms:
    commitment: Commitment
    names: tuple[str, ...]
    keywords: tuple[str, ...]


class NaiveLinker:
    def __init__(self, catalog: list[Commitment]) -> None:
        self.terms = [
            NaiveTerms(
                p.commitment,
                tuple(dict.fromkeys([*p.commitment.entities, *p.commitment.aliases, *p.anchors])),
                tuple(p.keywords),
            )
            for p in build_profiles(catalog)
        ]

    def links(self, text: str) -> list[tuple[Commitment, str]]:
        """(commitment, first term found) for every commitment the text mentions."""
        found: list[tuple[Commitment, str]] = []
        for t in self.terms:
            names = [n for n in t.names if n in text]
            keywords = [k for k in t.keywords if k in text]
            if names:
                found.append((t.commitment, names[0]))
            elif len(keywords) >= MIN_KEYWORDS:
                found.append((t.commitment, keywords[0]))
        return found


class NaiveExtractor:
    """The baseline with ArticleExtractor's interface: one EvidenceFound per link, quoting
    the term found (no sentence, stage or figures are read)."""

    def __init__(self, catalog: list[Commitment]) -> None:
        self.linker = NaiveLinker(catalog)

    def evidence(self, article: ArticleFetched) -> list[EvidenceFound]:
        doc = f"{article.title}\n{article.text}"
        out = []
        for commitment, term in self.linker.links(doc):
            start = max(doc.find(term), 0)
            out.append(
                EvidenceFound(
                    evidence_id=evidence_id_for(
                        commitment.id, article.article_id, article.html_sha256
                    ),
                    commitment_id=commitment.id,
                    article_id=article.article_id,
                    url=article.url,
                    title=article.title,
                    published_at=article.published_at,
                    quote=term,
                    quote_start=start,
                    quote_end=start + len(term),
                    stage=Stage.PLANNED,
                    confidence=0.5,
                    html_sha256=article.html_sha256,
                    extractor_version=BASELINE_VERSION,
                )
            )
        return out
