"""The small hand-made catalog used by unit tests, so they do not move when the
real catalog is rebuilt."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from services.catalog.model import Commitment

DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=1)
def mini_catalog() -> tuple[Commitment, ...]:
    raw = json.loads((DATA / "extractor" / "mini_catalog.json").read_text(encoding="utf-8"))
    return tuple(Commitment.model_validate(c) for c in raw)


def mini_by_id() -> dict[str, Commitment]:
    return {c.id: c for c in mini_catalog()}
