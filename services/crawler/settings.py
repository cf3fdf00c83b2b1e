"""Crawler configuration: everything site-specific is a setting, never a constant in code.

The real portal cannot be reached from build machines, so its root and columns
must be overridable (``--site-url`` points the crawler at a mirror or the test
fixture site). ``CrawlerSettings`` extends the shared :class:`BusSettings`, so
the crawler reads ``KAFKA_BOOTSTRAP``, ``LUQIAO_ARTICLES_TOPIC`` and
``LUQIAO_CRAWLS_TOPIC`` exactly as the other services do (one variable names a
topic); its own settings use the prefix ``LUQIAO_CRAWLER_``.

The crawler's state (seen pages, per-column marks, retries, the embedded
hand-off queue) lives in a store of its own, ``LUQIAO_CRAWLER_STATE_URL``; by
default a SQLite file beside the SQLite database (``./luqiao-crawler.db`` next to
``./luqiao.db``), never in the tracker's schema.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url

from services.settings import BusSettings, shared

# Column names of www.luqiao.gov.cn as the issue and the navigation call them; each is
# resolved to its id from the site's navigation at the start of a crawl (see
# ``navigation.py``). Ids are accepted too (``LUQIAO_CRAWLER_COLUMNS='["1683482"]'``).
DEFAULT_COLUMNS: tuple[str, ...] = ("今日路桥", "部门动态", "镇街动态", "通知公告")
STATE_FILE_SUFFIX = "-crawler"


class CrawlerSettings(BusSettings):
    """One crawl's configuration; a child process receives it as JSON overrides."""

    # The crawler's own settings; the shared ones (Kafka, database, topics, metrics host,
    # log format) come from BusSettings under the variables every service reads.
    model_config = SettingsConfigDict(env_prefix="LUQIAO_CRAWLER_")

    # Scrapy's log level: LUQIAO_CRAWLER_LOG_LEVEL, else the shared LUQIAO_LOG_LEVEL.
    log_level: str = shared("INFO", "LUQIAO_CRAWLER_LOG_LEVEL", "LUQIAO_LOG_LEVEL")

    site_url: str = "https://www.luqiao.gov.cn"
    # Names (resolved from the navigation) or ids, in any mix.
    columns: list[str] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    user_agent: str = (
        "luqiao-monitor/0.1 (+https://github.com/luqiao-monitor/luqiao-monitor; "
        "commitment tracker; contact via the project page)"
    )
    backfill_date: date = date(2024, 1, 1)
    poll_minutes: float = 60.0
    warc_dir: Path = Path("./warc")
    # The crawler's own store; empty: a SQLite file beside DATABASE_URL's SQLite file.
    state_url: str = ""
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
    # A page that still failed after the retries is tried again on later polls, waiting
    # this long after the first failure and doubling; after give_up_after failed polls it
    # is given up, and that is counted and logged.
    article_retry_minutes: float = 60.0
    give_up_after: int = 5
    # Bounds on what one answer may cost (bytes as received, and after decompression).
    download_maxsize: int = 10 * 1024 * 1024
    download_warnsize: int = 2 * 1024 * 1024
    # Re-check (with a conditional request) articles published this many days ago or
    # less, to catch corrections that do not change the list entry. 0 turns it off.
    revisit_days: int = 0
    # Keep reading a column's list this many days below the newest article already
    # read: an article published late with an earlier date is listed there. Costs a
    # list page or two per column and poll; 0 stops at the newest day read.
    lookback_days: int = 3
    kafka_timeout_seconds: float = 30.0
    # In polling mode Prometheus scrapes the crawler here (0 disables).
    metrics_port: int = 9109

    def resolved_state_url(self) -> str:
        """``state_url``, or a SQLite file beside the SQLite database (``luqiao-crawler.db``)."""
        if self.state_url:
            return self.state_url
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            db = Path(url.database or "")
            return f"sqlite:///{db.with_name(db.stem + STATE_FILE_SUFFIX + db.suffix)}"
        return "sqlite:///./luqiao-crawler.db"

    def scrapy_settings(self, sink: str = "kafka") -> dict[str, Any]:
        """The Scrapy settings that make the crawl polite, incremental and bounded.

        ``sink`` is where articles go: ``kafka``, ``queue`` (the embedded mode's
        durable hand-off queue in the state store) or ``jsonl:<path>``.
        """
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
            # Scrapy also applies both to the decompressed body (HttpCompressionMiddleware).
            "DOWNLOAD_MAXSIZE": self.download_maxsize,
            "DOWNLOAD_WARNSIZE": self.download_warnsize,
            "REDIRECT_MAX_TIMES": 5,
            "RETRY_ENABLED": True,
            "RETRY_TIMES": self.retry_times,
            "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
            "LUQIAO_RETRY_BACKOFF_BASE": self.retry_backoff_base,
            "LUQIAO_CRAWL_SETTINGS": self.model_dump(mode="json"),
            "LUQIAO_SINK": sink,
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
            "EXTENSIONS": {
                "services.crawler.extensions.CrawlSummaryExtension": 500,
                "services.crawler.progress.CrawlProgressExtension": 510,
            },
            "COOKIES_ENABLED": False,
            # Scrapy's check for generator callbacks that return a value re-reads and
            # re-parses the callback's source on every response (its cache is keyed by the
            # bound method, a new object each time): a fifth of a back-fill's crawl CPU.
            # tests/crawler/test_scrapy_project.py runs the check once instead.
            "WARN_ON_GENERATOR_RETURN_VALUE": False,
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


def crawl_settings_of(settings: Any) -> CrawlerSettings:
    """The CrawlerSettings a Scrapy crawler was started with (``LUQIAO_CRAWL_SETTINGS``)."""
    raw = settings.getdict("LUQIAO_CRAWL_SETTINGS") if settings is not None else {}
    return CrawlerSettings(**raw) if raw else CrawlerSettings()
