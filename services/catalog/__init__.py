"""The commitment catalog: what the district promised, as every service loads it.

``load_catalog()`` reads the built ``data/catalog.json`` (committed to the repo
and rebuilt by ``luqiao-monitor catalog build``); it never parses reports at
run time, so every service sees exactly the reviewed catalog.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from services.catalog.model import Commitment

DEFAULT_CATALOG_PATH = Path(__file__).parent / "data" / "catalog.json"


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> tuple[Commitment, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Commitment.model_validate(entry) for entry in data)


def load_catalog(path: Path | str | None = None) -> list[Commitment]:
    """All commitments of the catalog file (cached per path and modification time)."""
    resolved = Path(path) if path else DEFAULT_CATALOG_PATH
    return list(_load(resolved, resolved.stat().st_mtime_ns))


def catalog_by_id(path: Path | str | None = None) -> dict[str, Commitment]:
    return {c.id: c for c in load_catalog(path)}


__all__ = ["Commitment", "catalog_by_id", "load_catalog"]
