"""``catalog import --evidence kafka``: the report goes onto the articles topic of a real
broker, for the deployed extractor, as one dated document."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.catalog.cli import catalog_app
from services.events import ArticleFetched, article_id_for
from tests.infra.kafka_reading import consume

REPORT = Path(__file__).parent / "data" / "reports" / "gov_2026.txt"


@pytest.mark.kafka
def test_import_publishes_the_report_to_the_articles_topic(
    kafka_bootstrap: str, kafka_topics: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = kafka_topics["articles"]
    monkeypatch.setenv("KAFKA_BOOTSTRAP", kafka_bootstrap)
    monkeypatch.setenv("LUQIAO_ARTICLES_TOPIC", topic)
    result = CliRunner().invoke(
        catalog_app,
        ["import", str(REPORT), "--adopted-on", "2026-01-08", "--evidence", "kafka"],
    )
    assert result.exit_code == 0, result.output
    assert f"published the report as report:luqiao-2026 to {topic}" in result.output
    [message] = consume(kafka_bootstrap, topic)
    article = ArticleFetched.model_validate_json(message.value)
    assert message.key == article_id_for("report:luqiao-2026").encode()
    assert article.url == "report:luqiao-2026"
    assert article.published_at.isoformat() == "2026-01-08T12:00:00+08:00"
    assert article.source == "路桥区第十八届人民代表大会第六次会议"
    assert article.text == REPORT.read_text(encoding="utf-8").strip()
