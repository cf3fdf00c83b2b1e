"""The AsyncAPI documents in docs/asyncapi are generated from the apps; a stale
copy in the repo fails here (regenerate with `make asyncapi`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.api_docs import write_asyncapi, write_openapi

DOCS = Path(__file__).parents[2] / "docs" / "asyncapi"


@pytest.mark.parametrize("name", ["extractor", "tracker"])
def test_committed_asyncapi_is_current(name: str, tmp_path: Path) -> None:
    write_asyncapi(tmp_path)
    fresh = json.loads((tmp_path / f"{name}.json").read_text("utf-8"))
    committed = json.loads((DOCS / f"{name}.json").read_text("utf-8"))
    assert fresh == committed, "run `make asyncapi` and commit docs/asyncapi"


def test_documents_name_every_topic_and_event(tmp_path: Path) -> None:
    write_asyncapi(tmp_path)
    extractor = json.loads((tmp_path / "extractor.json").read_text("utf-8"))
    tracker = json.loads((tmp_path / "tracker.json").read_text("utf-8"))
    assert {c["address"] for c in extractor["channels"].values()} == {
        "luqiao.articles", "luqiao.evidence", "luqiao.deadletter"
    }  # fmt: skip
    assert {c["address"] for c in tracker["channels"].values()} == {
        "luqiao.evidence", "luqiao.crawls", "luqiao.status", "luqiao.deadletter"
    }  # fmt: skip
    schemas = extractor["components"]["schemas"]
    assert (
        "ArticleFetched" in schemas and "schema_version" in schemas["ArticleFetched"]["properties"]
    )
    assert "StatusChanged" in tracker["components"]["schemas"]
    assert "CrawlReport" in json.dumps(tracker["components"])


def test_committed_openapi_is_current(tmp_path: Path) -> None:
    fresh = json.loads(write_openapi(tmp_path / "openapi.json").read_text("utf-8"))
    committed = json.loads((DOCS.parent / "openapi.json").read_text("utf-8"))
    assert fresh == committed, "run `make asyncapi` and commit docs/openapi.json"
    assert "/api/commitments/{commitment_id}/review" in fresh["paths"]
