"""Crawler configuration: everything site-specific is a setting, never a constant in code.

The real portal cannot be reached from build machines, so its root and column
ids must be overridable (``--site-url`` points the crawler at a mirror or the
test fixture site). Environment variables use the prefix ``LUQIAO_CRAWLER_``
(``LUQIAO_CRAWLER_SITE_URL``, ``LUQIAO_CRAWLER_COLUMNS='["1683482","1683483"]'``);
the database URL and Kafka bootstrap also accept the project-wide
``DATABASE_URL`` and ``KAFKA_BOOTSTRAP``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services import events

# News columns of www.luqiao.gov.cn as configured by default. The ids follow the
# portal's /col/col<ID>/index.html scheme; they are plausible values that must be
# checked against the live site (see docs/target-site.md) and can be replaced
# with LUQIAO_CRAWLER_COLUMNS without a code change.
DEFAULT_COLUMNS: dict[str, str] = {
    "1683482": "今日路桥 (路桥新闻)",
    "1683483": "部门动态",
    "1683484": "乡镇街道动态",
    "1683490": "通知公告",
}


class CrawlerSettings(BaseSettings):
    """One crawl's configuration; a child process receives it as JSON overrides."""

    model_config = SettingsConfigDict(
        env_prefix="LUQIAO_CRAWLER_", extra="ignore", populate_by_name=True
    )

    site_url: str = "https://www.luqiao.gov.cn"
    columns: list[str] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    user_agent: str = (
        "luqiao-monitor/0.1 (+https://github.com/luqiao-monitor/luqiao-monitor; "
        "commitment tracker; contact via the project page)"
    )
    backfill_date: date = date(2024, 1, 1)
    poll_minutes: float = 60.0
    warc_dir: Path = Path("./warc")
    database_url: str = Field(
        "sqlite:///./luqiao.db",
        validation_alias=AliasChoices(
            "database_url", "LUQIAO_CRAWLER_DATABASE_URL", "DATABASE_URL"
        ),
    )
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092",
        validation_alias=AliasChoices(
            "kafka_bootstrap",
            "LUQIAO_CRAWLER_KAFKA_BOOTSTRAP",
            "KAFKA_BOOTSTRAP",
            "LUQIAO_KAFKA_BOOTSTRAP",
        ),
    )
    articles_topic: str = events.ARTICLES_TOPIC
    # Hosts whose pages (provincial or city news mirrors) may be fetched when a
    # column links to them; any other off-site link is skipped.
    offsite_allowlist: list[str] = Field(
        default_factory=lambda: ["www.taizhou.gov.cn", "www.zj.gov.cn"]
    )
    # Politeness and robustness.
    download_delay: float = 1.0
    autothrottle_start_delay: float = 2.0
    autothrottle_max_delay: float = 60.0
    download_timeout: float = 30.0
    retry_times: int = 2
    retry_backoff_base: float = 2.0  # seconds; doubled on each retry
    list_page_size: int = 15
    max_list_pages: int = 20
    # Re-check (with a conditional request) articles published this many days ago or
    # less, to catch corrections that do not change the list entry. 0 turns it off.
    revisit_days: int = 0
    kafka_timeout_seconds: float = 30.0
    log_level: str = "INFO"
    # In polling mode Prometheus scrapes the crawler here (0 disables).
    metrics_port: int = 9109

    def scrapy_settings(self) -> dict[str, Any]:
        """The Scrapy settings that make the crawl polite and incremental."""
        return {
            "BOT_NAME": "luqiao-monitor",
            "USER_AGENT": self.user_agent,
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": 4,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            "DOWNLOAD_DELAY": self.download_delay,
            "AUTOTHROTTLE_ENABLED": True,
            "AUTOTHROTTLE_START_DELAY": self.autothrottle_start_delay,
            "AUTOTHROTTLE_MAX_DELAY": self.autothrottle_max_delay,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
            "DOWNLOAD_TIMEOUT": self.download_timeout,
            "RETRY_ENABLED": True,
            "RETRY_TIMES": self.retry_times,
            "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
            "LUQIAO_RETRY_BACKOFF_BASE": self.retry_backoff_base,
            "DOWNLOADER_MIDDLEWARES": {
                "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
                "services.crawler.middlewares.BackoffRetryMiddleware": 550,
            },
            "ITEM_PIPELINES": {
                "services.crawler.pipelines.SeenStorePipeline": 100,
                "services.crawler.pipelines.DuplicateContentPipeline": 200,
                "services.crawler.pipelines.WarcArchivePipeline": 300,
                "services.crawler.pipelines.PublishPipeline": 400,
            },
            "COOKIES_ENABLED": False,
            # No listening ports in a crawl child: no telnet console, no remote control.
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "HTTPCACHE_ENABLED": False,
            "FEED_EXPORT_ENCODING": "utf-8",
            "LOG_LEVEL": self.log_level,
            "DEFAULT_DROPITEM_LOG_LEVEL": "DEBUG",
            "SPIDER_MODULES": ["services.crawler.spiders"],
            "NEWSPIDER_MODULE": "services.crawler.spiders",
        }
