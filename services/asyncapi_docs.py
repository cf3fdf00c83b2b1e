"""AsyncAPI documents generated from the FastStream apps themselves, so they
cannot drift from the code: `luqiao-monitor asyncapi` writes them to docs/asyncapi/."""

from __future__ import annotations

from pathlib import Path

from faststream.specification import AsyncAPI

from services.catalog.model import Commitment


def _documents() -> dict[str, str]:
    from services.extractor.app import build_app
    from services.extractor.handler import ExtractorHandler
    from services.extractor.settings import ExtractorSettings
    from services.tracker.app import build_broker
    from services.tracker.service import TrackerService
    from services.tracker.settings import TrackerSettings

    no_catalog: list[Commitment] = []
    ex_settings = ExtractorSettings()
    extractor = build_app(ex_settings, ExtractorHandler(ex_settings, catalog=no_catalog))
    tr_settings = TrackerSettings(database_url="sqlite://")
    tracker_broker = build_broker(tr_settings, TrackerService(tr_settings, catalog=no_catalog))
    docs = {
        "extractor": AsyncAPI(extractor.broker, title="luqiao-monitor extractor", version="1.0.0"),
        "tracker": AsyncAPI(tracker_broker, title="luqiao-monitor tracker", version="1.0.0"),
    }
    return {name: doc.to_specification().to_yaml() for name, doc in docs.items()}


def write_asyncapi(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in _documents().items():
        path = out / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
