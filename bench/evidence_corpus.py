"""EvidenceFound events for the tracker benchmark, on the real catalog's commitments.

Varied the way the extractor's output varies: commitment, article, publication date within
the commitment's plan year, stage, confidence (some below the review threshold, so the
review queue fills too) and figures. Seeded, so two runs ingest the same events.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from services.catalog.model import Commitment
from services.events import (
    CHINA_TZ,
    EvidenceFound,
    Figure,
    Progress,
    Stage,
    article_id_for,
    evidence_id_for,
)

STAGES = [Stage.PLANNED, Stage.STARTED, Stage.IN_PROGRESS, Stage.COMPLETED, Stage.DELAYED]
STAGE_WEIGHTS = [2, 3, 4, 2, 1]


def build_evidence(
    catalog: list[Commitment], count: int, seed: int = 6, first: int = 0
) -> list[EvidenceFound]:
    """`count` events on articles numbered from `first` (another `first` gives other
    articles, so other evidence ids: more events for a ledger that holds the first)."""
    rng = random.Random(seed)
    events: list[EvidenceFound] = []
    for i in range(first, first + count):
        c = catalog[rng.randrange(len(catalog))]
        url = f"https://www.luqiao.gov.cn/art/{c.report.plan_year}/bench/art_{i}.html"
        article_id = article_id_for(url)
        revision = f"bench-{i}"
        published = datetime(c.report.plan_year, 1, 15, 9, tzinfo=CHINA_TZ) + timedelta(
            days=rng.randrange(340), minutes=rng.randrange(600)
        )
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        figures = []
        if c.targets and rng.random() < 0.4:
            t = c.targets[0]
            done = round(t.value * rng.uniform(0.2, 1.1), 1)
            figures.append(Figure(value=done, unit=t.unit, text=f"{done:g}{t.unit}", role="done"))
        reasons = [f"stage:bench-{stage.value}"]
        if stage == Stage.DELAYED:
            reasons.append("regression:延期")
        events.append(
            EvidenceFound(
                evidence_id=evidence_id_for(c.id, article_id, revision),
                commitment_id=c.id,
                article_id=article_id,
                url=url,
                title=f"基准测试文章 {i}",
                published_at=published,
                quote=f"{c.text[:60]}……",
                quote_start=0,
                quote_end=min(len(c.text), 60),
                stage=stage,
                figures=figures,
                confidence=round(rng.uniform(0.45, 0.95), 3),
                reasons=reasons,
                stage_rule=f"bench-{stage.value}",
                regression="延期" if stage == Stage.DELAYED else None,
                progress=Progress.toward(c.targets[0] if c.targets else None, figures),
                html_sha256=revision,
                extractor_version="bench",
            )
        )
    return events
