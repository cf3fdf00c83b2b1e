"""Migration 0003 fills the v2 columns of evidence stored from v1 events, through
the contract's own upgrade, so the status rules read old and new rows alike."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from services.events import CHINA_TZ
from services.tracker.ledger.database import alembic_config, make_engine, migrate
from services.tracker.ledger.models import EvidenceRow

DATA = Path(__file__).parents[1] / "data/events"


def _insert_v1_row(conn, message: dict, target: list[dict]) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2025, 7, 2, tzinfo=CHINA_TZ)
    conn.execute(
        text(
            "INSERT INTO commitments (id, report_id, plan_year, section, section_key, text,"
            " kind, deadline, targets, aliases, related, retired, updated_at) VALUES"
            " (:id, 'r2025', 2025, '[]', '', '承诺', 'milestone', '2025-12-31', :targets,"
            " '[]', '[]', 0, :now)"
        ),
        {"id": message["commitment_id"], "targets": json.dumps(target), "now": now},
    )
    conn.execute(
        text(
            "INSERT INTO evidence (evidence_id, commitment_id, article_id, url, title,"
            " published_at, quote, quote_start, quote_end, stage, figures, confidence, mentions,"
            " reasons, html_sha256, extractor_version, received_at, review_state) VALUES"
            " (:evidence_id, :commitment_id, :article_id, :url, :title, :published_at, :quote,"
            " 0, 1, :stage, :figures, 0.9, 1, :reasons, 'r1', 'v1', :now, 'auto')"
        ),
        {
            **{k: message[k] for k in ("evidence_id", "commitment_id", "article_id", "url",
                                       "title", "published_at", "quote", "stage")},
            "figures": json.dumps(message["figures"], ensure_ascii=False),
            "reasons": json.dumps(message["reasons"], ensure_ascii=False),
            "now": now,
        },
    )  # fmt: skip


def test_rows_from_v1_events_get_their_regression_and_progress(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(url), "0002")  # the schema before v2
    counted = json.loads((DATA / "evidence_v1.json").read_text("utf-8"))
    delayed = json.loads((DATA / "evidence_v1_delayed.json").read_text("utf-8"))
    four = {"metric": "改造", "comparator": "=", "value": 4, "unit": "个", "text": "4个"}
    with engine.begin() as conn:
        _insert_v1_row(conn, counted, [four])
        _insert_v1_row(conn, delayed, [])

    migrate(engine)

    with engine.connect() as conn:
        rows = {r.commitment_id: r for r in conn.execute(select(EvidenceRow.__table__))}
    assert rows[counted["commitment_id"]].progress == {
        "target": 4.0, "unit": "个", "done": 3.0, "percent": None, "ratio": 0.75,
        "level": None,
    }  # fmt: skip
    assert rows[counted["commitment_id"]].regression is None
    assert rows[delayed["commitment_id"]].regression == "暂缓"
    assert rows[delayed["commitment_id"]].progress is None
    engine.dispose()
