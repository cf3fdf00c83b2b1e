"""The interface documents, generated from the apps themselves so they cannot
drift from the code: AsyncAPI of the extractor and tracker (`luqiao-monitor
asyncapi` → docs/asyncapi/) and OpenAPI of the tracker's HTTP API
(`luqiao-monitor openapi` → docs/openapi.json)."""

from __future__ import annotations

import json
from pathlib import Path

from faststream.specification import AsyncAPI
from pydantic import BaseModel

from services.catalog.model import Commitment
from services.events import (
    ARTICLES_TOPIC,
    DEADLETTER_TOPIC,
    EVIDENCE_TOPIC,
    STATUS_TOPIC,
    ArticleFetched,
    CrawlReport,
    EvidenceFound,
)


def _documents() -> dict[str, str]:
    from services.extractor.app import build_app
    from services.extractor.handler import ExtractorHandler
    from services.extractor.settings import ExtractorSettings
    from services.tracker.app import build_broker
    from services.tracker.service import TrackerService
    from services.tracker.settings import TrackerSettings

    no_catalog: list[Commitment] = []
    # Fixed values, not the environment: the documents describe the deployed topology.
    bus = {
        "kafka_bootstrap": "kafka:9092",
        "articles_topic": ARTICLES_TOPIC,
        "evidence_topic": EVIDENCE_TOPIC,
        "status_topic": STATUS_TOPIC,
        "deadletter_topic": DEADLETTER_TOPIC,
    }
    ex_settings = ExtractorSettings.model_validate(bus)
    extractor = build_app(ex_settings, ExtractorHandler(ex_settings, catalog=no_catalog))
    tr_settings = TrackerSettings.model_validate({**bus, "database_url": "sqlite://"})
    tracker_broker = build_broker(tr_settings, TrackerService(tr_settings, catalog=no_catalog))
    assert extractor.broker is not None
    docs = {
        "extractor": AsyncAPI(extractor.broker, title="luqiao-monitor extractor", version="1.0.0"),
        "tracker": AsyncAPI(tracker_broker, title="luqiao-monitor tracker", version="1.0.0"),
    }
    consumed: dict[str, tuple[type[BaseModel], ...]] = {
        "extractor": (ArticleFetched,),
        "tracker": (EvidenceFound, CrawlReport),
    }
    return {
        name: _with_consumed_payload(doc.to_specification().to_json(), consumed[name])
        for name, doc in docs.items()
    }


def _with_consumed_payload(spec_json: str, models: tuple[type[BaseModel], ...]) -> str:
    """The consumers take raw bytes (so a poison message reaches them to be
    dead-lettered), which FastStream documents as an empty payload; the
    contract is the event model, so the document says that. Each subscriber is
    titled with the name of the model it consumes."""
    spec = json.loads(spec_json)
    schemas = spec["components"]["schemas"]
    schemas.pop("EmptyPayload", None)
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas[model.__name__] = schema
    by_title = {model.__name__: model for model in models}
    for key, message in spec["components"]["messages"].items():
        if message["payload"].get("$ref", "").endswith("/EmptyPayload"):
            title = key.split(":", 1)[0]
            if title not in by_title:
                raise ValueError(f"subscriber {title!r} consumes no known event model")
            message["payload"] = {"$ref": f"#/components/schemas/{title}"}
    return json.dumps(spec)


def write_asyncapi(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in _documents().items():
        path = out / f"{name}.json"
        path.write_text(
            json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(path)
    return written


def write_openapi(path: Path) -> Path:
    from services.tracker.app import tracker_api
    from services.tracker.service import TrackerService
    from services.tracker.settings import TrackerSettings

    settings = TrackerSettings.model_validate({"database_url": "sqlite://"})
    spec = tracker_api(TrackerService(settings, catalog=[])).openapi()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
