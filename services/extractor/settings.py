"""Extractor settings (env prefix LUQIAO_)."""

from __future__ import annotations

from services.settings import BusSettings


class ExtractorSettings(BusSettings):
    extractor_group: str = "luqiao-extractor"
    # Articles larger than this are dead-lettered rather than matched.
    max_text_chars: int = 200_000
    batch_max_records: int = 500
    # Prometheus scrapes the extractor here (0 disables).
    metrics_port: int = 9108
