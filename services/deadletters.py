"""Turning a message that cannot be handled into a `DeadLetter` with its reason.

Shared by the extractor and the tracker: both decode raw bytes themselves so
that a poison message is diverted instead of crashing the consumer.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.events import CHINA_TZ, DEADLETTER_MAX_ORIGINAL, DeadLetter

M = TypeVar("M", bound=BaseModel)


class PoisonMessage(ValueError):
    """A message that will never be handled, however often it is retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def decode_event(raw: bytes, model: type[M], upgrades: Mapping[int, Upgrade] | None = None) -> M:
    """JSON → model, or `PoisonMessage` with a reason a person can act on.

    The model's own ``schema_version`` is read natively; an older version is
    accepted when `upgrades` has a function for it (the decoded JSON → the
    current version's fields); any other version is poison.
    """
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"invalid_json: {exc}") from exc
    if not isinstance(data, dict):
        raise PoisonMessage("invalid_json: top level is not an object")
    version = data.get("schema_version")
    current = model.model_fields["schema_version"].default
    try:
        if version != current:
            upgrade = (upgrades or {}).get(version) if isinstance(version, int) else None
            if upgrade is None:
                raise PoisonMessage(f"unsupported_schema_version: {version!r}")
            data = upgrade(data)
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(str(p) for p in e["loc"]) + f" ({e['type']})" for e in exc.errors()
        )
        raise PoisonMessage(f"wrong_schema: {fields}") from exc


def dead_letter(
    raw: bytes,
    *,
    reason: str,
    source_topic: str,
    service: str,
    key: bytes | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> DeadLetter:
    kept = raw[:DEADLETTER_MAX_ORIGINAL]
    return DeadLetter(
        source_topic=source_topic,
        service=service,
        reason=reason,
        original_b64=base64.b64encode(kept).decode(),
        original_truncated=len(kept) < len(raw),
        original_size=len(raw),
        original_sha256=hashlib.sha256(raw).hexdigest(),
        original_key=key.decode(errors="replace") if key else None,
        source_partition=partition,
        source_offset=offset,
        failed_at=datetime.now(CHINA_TZ),
    )


def reason_code(reason: str) -> str:
    """The label value for metrics: the part before the colon."""
    return reason.split(":", 1)[0]
