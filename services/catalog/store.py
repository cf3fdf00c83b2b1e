"""The catalog's files: the packaged defaults and the data directory that overrides them.

The package ships the two seed reports (``reports/`` with ``manifest.json``), the
curated ``overrides.json`` and the catalog built from them (``data/catalog.json``).
A data directory (``<LUQIAO_DATA_DIR>/catalog/``) holds what users add: its own
``reports/`` (copies of imported reports and a manifest listing every report, the
packaged ones included), an optional ``overrides.json``, and ``catalog.json``.
When the data directory has a catalog, every service loads it; otherwise the
packaged one. Nothing here writes inside the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.catalog.settings import CatalogSettings

PACKAGE_DIR = Path(__file__).parent
PACKAGED_REPORTS_DIR = PACKAGE_DIR / "reports"
PACKAGED_CATALOG_PATH = PACKAGE_DIR / "data" / "catalog.json"
PACKAGED_OVERRIDES_PATH = PACKAGE_DIR / "overrides.json"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class CatalogStore:
    """The data directory's catalog files (which may not exist yet)."""

    root: Path

    @classmethod
    def from_settings(cls, settings: CatalogSettings | None = None) -> CatalogStore:
        return cls((settings or CatalogSettings()).data_dir / "catalog")

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def manifest_path(self) -> Path:
        return self.reports_dir / MANIFEST_NAME

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.json"

    @property
    def overrides_path(self) -> Path:
        return self.root / "overrides.json"

    def has_reports(self) -> bool:
        return self.manifest_path.is_file()

    def effective_reports_dir(self) -> Path:
        """The data directory's reports once a report was imported, else the packaged ones."""
        return self.reports_dir if self.has_reports() else PACKAGED_REPORTS_DIR

    def effective_catalog_path(self) -> Path:
        return self.catalog_path if self.catalog_path.is_file() else PACKAGED_CATALOG_PATH

    def effective_overrides_path(self) -> Path:
        return self.overrides_path if self.overrides_path.is_file() else PACKAGED_OVERRIDES_PATH


def current_catalog_path() -> Path:
    """The catalog every service loads: the data directory's when built, else the packaged one."""
    return CatalogStore.from_settings().effective_catalog_path()
