"""Shared fixtures of the catalog tests: the catalog as built now, and the report texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.catalog.builder import REPORTS_DIR, build_catalog, load_manifest, report_path
from services.catalog.model import Commitment


@pytest.fixture(scope="session")
def built() -> list[Commitment]:
    """The catalog as the parser and overrides build it now (not the committed file)."""
    return build_catalog()


@pytest.fixture(scope="session")
def raw_reports() -> dict[str, str]:
    """Report id -> raw text, for every report in the manifest."""
    return {
        source.report_id: report_path(source).read_text(encoding="utf-8")
        for source in load_manifest(REPORTS_DIR)
    }


@pytest.fixture(autouse=True)
def empty_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts with an empty data directory, so the packaged catalog is the one
    loaded, whatever a developer imported into ./data."""
    data = tmp_path / "data"
    monkeypatch.setenv("LUQIAO_DATA_DIR", str(data))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'luqiao.db'}")
    return data
