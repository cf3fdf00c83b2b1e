"""``luqiao-monitor crawl``: the crawler's command line (a typer sub-app the main CLI mounts)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from .run import CrawlFailed, Sink, crawl_once, poll
from .settings import CrawlerSettings

crawl_app = typer.Typer(
    help=(
        "Crawl the Luqiao district news site (both list engines, every configured column) "
        "and publish new or corrected articles to Kafka topic luqiao.articles, or write them "
        "to a JSON-lines file with --output. Incremental: pages already seen are not fetched "
        "again. Settings come from LUQIAO_CRAWLER_* environment variables (SITE_URL, COLUMNS, "
        "USER_AGENT, BACKFILL_DATE, POLL_MINUTES, WARC_DIR, KAFKA_BOOTSTRAP, ARTICLES_TOPIC, "
        "OFFSITE_ALLOWLIST) and DATABASE_URL."
    ),
    no_args_is_help=False,
)


@crawl_app.callback(invoke_without_command=True)
def crawl(
    once: Annotated[
        bool, typer.Option("--once", help="Crawl once and exit (default: poll forever).")
    ] = False,
    site_url: Annotated[
        str | None,
        typer.Option("--site-url", help="Site root, e.g. a mirror or the test fixture site."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", help="Write articles as JSON lines to this file instead of Kafka."
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Comma-separated column ids (default from settings)."),
    ] = None,
    poll_minutes: Annotated[
        float | None,
        typer.Option("--poll-minutes", help="Minutes between polls (default from settings)."),
    ] = None,
) -> None:
    """Crawl once (--once) or poll every N minutes; prints a summary per run."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    overrides: dict[str, Any] = {}
    if site_url:
        overrides["site_url"] = site_url
    if columns:
        overrides["columns"] = [c.strip() for c in columns.split(",") if c.strip()]
    if poll_minutes is not None:
        overrides["poll_minutes"] = poll_minutes
    settings = CrawlerSettings(**overrides)
    sink: Sink = output if output is not None else "kafka"
    if once:
        try:
            summary = crawl_once(settings, sink)
        except CrawlFailed as exc:
            typer.echo(f"crawl failed: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        typer.echo(summary.log_line())
        return
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port)
    poll(
        overrides,
        sink,
        poll_minutes=settings.poll_minutes,
        on_summary=lambda summary: typer.echo(summary.log_line()),
    )
