"""The extractor service on the real broker: evidence out, poison messages to the
dead-letter topic with their reason, and no duplicates after a restart or replay."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from services.catalog import load_catalog
from services.extractor.settings import ExtractorSettings
from services.offline_articles import article_from_dict
from tests.extractor.kafka_harness import RunningExtractor, produce, read_all
from tests.infra.kafka_topics import bus_settings_overrides

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
DATA = Path(__file__).parents[1] / "data/extractor"


def _valid_article_bytes() -> bytes:
    case = json.loads((DATA / "articles/completed_park.json").read_text(encoding="utf-8"))
    return article_from_dict(case).model_dump_json().encode()


def _allow_big_messages(bootstrap: str, topic: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    topic,
                    configs={"max.message.bytes": str(12 * 1024 * 1024)},
                )
            ]
        )
    finally:
        admin.close()


def _settings(bootstrap: str, topics: dict[str, str], group: str) -> ExtractorSettings:
    return ExtractorSettings(
        kafka_bootstrap=bootstrap, extractor_group=group, **bus_settings_overrides(topics)
    )


def test_evidence_and_dead_letters_on_the_real_broker(
    kafka_bootstrap: str, kafka_topics: dict[str, str]
) -> None:
    _allow_big_messages(kafka_bootstrap, kafka_topics["articles"])
    valid = _valid_article_bytes()
    huge = json.loads(valid)
    huge["text"] = "路桥" * (5 * 1024 * 1024 // 6)  # ~5 MB of UTF-8
    poison = {
        "invalid_json": (DATA / "poison/invalid_json.bin").read_bytes(),
        "wrong_schema": (DATA / "poison/wrong_schema.json").read_bytes(),
        "unsupported_schema_version": (DATA / "poison/unknown_version.json").read_bytes(),
        "empty_text": (DATA / "poison/empty_text.json").read_bytes(),
        "too_large": json.dumps(huge, ensure_ascii=False).encode(),
    }
    produce(
        kafka_bootstrap,
        kafka_topics["articles"],
        [(b"k", valid)] + [(name.encode(), raw) for name, raw in poison.items()],
    )

    with RunningExtractor(
        _settings(kafka_bootstrap, kafka_topics, "ex-" + kafka_topics["articles"][:11])
    ):
        dead = read_all(kafka_bootstrap, kafka_topics["deadletter"], expect=len(poison))
        evidence = read_all(kafka_bootstrap, kafka_topics["evidence"], expect=1)

    assert sorted(d["reason"].split(":")[0] for d in dead) == sorted(poison)
    for letter in dead:
        sent = poison[letter["original_key"]]
        original = base64.b64decode(letter["original_b64"])
        assert letter["original_sha256"] == hashlib.sha256(sent).hexdigest()
        assert letter["source_offset"] is not None and letter["original_size"] == len(sent)
        if letter["original_truncated"]:
            assert sent.startswith(original) and len(original) < len(sent)
        else:
            assert original == sent, "the original bytes are kept"
    assert [d["original_truncated"] for d in dead if d["original_key"] == "too_large"] == [True]
    [ev] = evidence
    green_axis = [
        c.id for c in load_catalog() if "中央绿轴公园" in c.text and c.report.plan_year == 2025
    ]
    assert ev["commitment_id"] in green_axis and ev["stage"] == "completed"


def test_restart_does_not_republish_and_replay_gives_the_same_ids(
    kafka_bootstrap: str, kafka_topics: dict[str, str]
) -> None:
    produce(kafka_bootstrap, kafka_topics["articles"], [(b"k", _valid_article_bytes())])
    group = "ex-" + kafka_topics["articles"][:11]
    with RunningExtractor(_settings(kafka_bootstrap, kafka_topics, group)):
        first = read_all(kafka_bootstrap, kafka_topics["evidence"], expect=1)
    # Same group after a restart: the offset was committed after publishing, nothing again.
    with RunningExtractor(_settings(kafka_bootstrap, kafka_topics, group)):
        after_restart = read_all(kafka_bootstrap, kafka_topics["evidence"], expect=1, settle=4.0)
    assert len(first) == len(after_restart) == 1
    # A new group replays the topic: the evidence has the same deterministic id.
    with RunningExtractor(_settings(kafka_bootstrap, kafka_topics, group + "-replay")):
        replayed = read_all(kafka_bootstrap, kafka_topics["evidence"], expect=2)
    assert len(replayed) == 2
    assert replayed[0]["evidence_id"] == replayed[1]["evidence_id"]


LABELLED = Path(__file__).parents[1] / "data/labelled/articles.jsonl"


def test_two_instances_in_one_group_give_what_one_gives(
    kafka_bootstrap: str, kafka_topics: dict[str, str]
) -> None:
    """Scaling the extractor out: two instances sharing the articles topic's partitions
    publish exactly the evidence one instance (here: the handler, offline) gives."""
    from services.extractor.handler import ExtractorHandler

    items = [
        article_from_dict(json.loads(line))
        for line in LABELLED.read_text(encoding="utf-8").splitlines()[:150]
    ]
    handler = ExtractorHandler(ExtractorSettings())
    expected = {ev.evidence_id for a in items for ev in handler.handle_article(a)}
    assert len(expected) > 100
    group = "ex2-" + kafka_topics["articles"][:11]
    with (
        RunningExtractor(_settings(kafka_bootstrap, kafka_topics, group)) as one,
        RunningExtractor(_settings(kafka_bootstrap, kafka_topics, group)) as two,
    ):
        time.sleep(5)  # both members joined: the 3 partitions are split between them
        produce(
            kafka_bootstrap,
            kafka_topics["articles"],
            [(a.article_id.encode(), a.model_dump_json().encode()) for a in items],
        )
        got = read_all(kafka_bootstrap, kafka_topics["evidence"], expect=len(expected), timeout=120)
        assert one.app.broker is not two.app.broker
    ids = [e["evidence_id"] for e in got]
    assert set(ids) == expected
    assert len(ids) == len(expected)  # each article handled by one instance only
