"""docs/openapi.json describes every answer's body: each success response (200/201)
of every operation names a schema for each media type it answers with, and no
schema is the empty `{}` that says nothing. (The committed document is kept equal
to the served one by tests/docs/test_asyncapi.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.json"
SUCCESS = ("200", "201")


def success_bodies(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, status, the response object) of every success response."""
    return [
        (method, path, status, response)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status in SUCCESS
    ]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return resolve(spec, node)


def test_every_success_response_has_a_schema() -> None:
    spec = json.loads(OPENAPI.read_text("utf-8"))
    bodies = success_bodies(spec)
    assert len(bodies) >= 15, "the document lists the tracker's operations"
    missing = []
    for method, path, status, response in bodies:
        content = response.get("content") or {}
        if not content:
            missing.append(f"{method.upper()} {path} {status}: no content")
        for media_type, body in content.items():
            schema = resolve(spec, body.get("schema") or {})
            if not schema:
                missing.append(f"{method.upper()} {path} {status} {media_type}: empty schema")
            elif schema.get("type") == "object" and not schema.get("properties"):
                missing.append(f"{method.upper()} {path} {status} {media_type}: untyped object")
    assert missing == []


def test_json_bodies_name_their_fields() -> None:
    """The list and detail answers say which fields an item has (the API's contract)."""
    spec = json.loads(OPENAPI.read_text("utf-8"))
    op = spec["paths"]["/api/commitments/{commitment_id}"]["get"]
    detail = resolve(spec, op["responses"]["200"]["content"]["application/json"]["schema"])
    for field in ("id", "status", "evidence", "status_history", "target_progress"):
        assert field in detail["properties"], field
    page_op = spec["paths"]["/api/commitments"]["get"]
    page = resolve(spec, page_op["responses"]["200"]["content"]["application/json"]["schema"])
    item = resolve(spec, page["properties"]["items"]["items"])
    assert {"id", "status", "latest_evidence"} <= set(item["properties"])
