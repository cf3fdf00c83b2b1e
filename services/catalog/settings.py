"""Where the catalog's data lives (env prefix LUQIAO_).

The reports a user imports, their overrides and the catalog built from them are
data, not code: they go to ``LUQIAO_DATA_DIR`` (default ``./data``, beside the
default SQLite database), never into the installed package, which may be
read-only and is replaced on every upgrade.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class CatalogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LUQIAO_", extra="ignore")

    # Imported reports, overrides and the built catalog: <data_dir>/catalog/.
    data_dir: Path = Path("./data")
