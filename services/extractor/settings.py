"""Extractor settings (env prefix LUQIAO_)."""

from __future__ import annotations

from pathlib import Path

from services.settings import BusSettings


class ExtractorSettings(BusSettings):
    extractor_group: str = "luqiao-extractor"
    # Articles larger than this are dead-lettered rather than matched.
    max_text_chars: int = 200_000
    # Measured in bench/: 2000 was 9-26 % faster than 500 through Kafka.
    batch_max_records: int = 2000
    # Prometheus scrapes the extractor here (0 disables); loopback unless a container
    # must expose it (docker-compose sets 0.0.0.0).
    metrics_port: int = 9108
    # The built term tables (profiles, place names, IDFs) kept between processes so a
    # process starts in well under a second; empty disables the cache.
    extractor_cache_dir: str = "~/.cache/luqiao-monitor/extractor"

    def cache_path(self) -> Path | None:
        return Path(self.extractor_cache_dir).expanduser() if self.extractor_cache_dir else None
