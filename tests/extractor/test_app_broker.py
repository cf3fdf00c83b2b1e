"""The extractor's FastStream app through the worker skeleton, once with the
in-memory `TestKafkaBroker` (quick suite) and once on the real broker: one batch
with a good article among poison ones gives the evidence, keyed by commitment, and
one dead letter per poison message with its reason and its bytes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.catalog import load_catalog
from services.extractor.app import build_app
from services.extractor.settings import ExtractorSettings
from services.offline_articles import article_from_dict
from tests.worker_harness import BusUnderTest, Collector, bus_under_test  # noqa: F401

DATA = Path(__file__).parents[1] / "data/extractor"
POISON = {
    "invalid_json": "poison/invalid_json.bin",
    "wrong_schema": "poison/wrong_schema.json",
    "unsupported_schema_version": "poison/unknown_version.json",
    "empty_text": "poison/empty_text.json",
}


def _valid_article() -> bytes:
    case = json.loads((DATA / "articles/completed_park.json").read_text(encoding="utf-8"))
    return article_from_dict(case).model_dump_json().encode()


async def test_a_batch_with_poison_gives_evidence_and_dead_letters(bus: BusUnderTest) -> None:
    settings = ExtractorSettings(extractor_group=f"ex-{id(bus)}", **bus.settings)
    app = build_app(settings)
    assert isinstance(app.broker, KafkaBroker)
    out = Collector(app.broker, settings.evidence_topic, settings.deadletter_topic)
    poison = {code: (DATA / path).read_bytes() for code, path in POISON.items()}
    batch = [poison["invalid_json"], _valid_article(), *list(poison.values())[1:]]

    async with TestKafkaBroker(app.broker, with_real=bus.real) as broker:
        await broker.publish_batch(*batch, topic=settings.articles_topic)
        await out.wait(
            {settings.evidence_topic: 1, settings.deadletter_topic: len(poison)},
            timeout=60,
            settle=2.0 if bus.real else 0.0,
        )

    dead = [letter for _key, letter in out.got[settings.deadletter_topic]]
    assert sorted(d["reason"].split(":")[0] for d in dead) == sorted(poison)
    for letter in dead:
        code = letter["reason"].split(":")[0]
        assert base64.b64decode(letter["original_b64"]) == poison[code]
        assert letter["source_topic"] == settings.articles_topic
        assert letter["service"] == "extractor"
    [(key, evidence)] = out.got[settings.evidence_topic]
    green_axis = {
        c.id for c in load_catalog() if "中央绿轴公园" in c.text and c.report.plan_year == 2025
    }
    assert evidence["commitment_id"] in green_axis and key == evidence["commitment_id"].encode()
    assert evidence["schema_version"] == 2 and evidence["stage"] == "completed"
    assert "中央绿轴公园" in " ".join(evidence["anchors"]) and evidence["stage_rule"]
