"""The commitment catalog: what the district promised, as every service loads it.

``load_catalog()`` reads the built catalog: the data directory's
(``<LUQIAO_DATA_DIR>/catalog/catalog.json``, written by ``luqiao-monitor catalog
import``) when there is one, else the packaged ``data/catalog.json`` built from the
two seed reports. It never parses reports at run time, so every service sees
exactly the reviewed catalog; a new catalog is picked up on the next start.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from services.catalog.model import Commitment
from services.catalog.store import current_catalog_path


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> tuple[Commitment, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Commitment.model_validate(entry) for entry in data)


def load_catalog(path: Path | str | None = None) -> list[Commitment]:
    """All commitments of the catalog file (cached per path and modification time)."""
    resolved = Path(path) if path else current_catalog_path()
    return list(_load(resolved, resolved.stat().st_mtime_ns))


__all__ = ["Commitment", "load_catalog"]
