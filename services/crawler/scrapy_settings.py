"""Scrapy's settings module (``scrapy.cfg`` points here): the crawler's settings as
Scrapy wants them, module-level constants built once from the environment.

``luqiao-monitor crawl`` builds the same dict from ``CrawlerSettings`` itself; this
module is for Scrapy's own tools (``scrapy crawl luqiao_news``, ``scrapy shell``).
The sink defaults to Kafka, as deployed; ``-s LUQIAO_SINK=jsonl:<path>`` writes a file.
"""

from __future__ import annotations

from .settings import CrawlerSettings

globals().update(CrawlerSettings().scrapy_settings())
