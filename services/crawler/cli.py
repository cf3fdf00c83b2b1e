"""``luqiao-monitor crawl``: the crawler's command line (a typer sub-app the main CLI mounts)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from .settings import CrawlerSettings
    from .summary import CrawlSummary

# The crawler's modules (Scrapy, Twisted, SQLAlchemy's URL parsing: ~0.4-0.8 s) are imported
# when `crawl` runs, not when the main CLI mounts this sub-app: `luqiao-monitor extract`
# and the other commands start without them.

crawl_app = typer.Typer(
    help=(
        "Crawl the Luqiao district news site (both list engines, every configured column) "
        "and publish new or corrected articles to the Kafka topic LUQIAO_ARTICLES_TOPIC, or "
        "write them to a JSON-lines file with --output. Incremental and resumable: pages "
        "already seen are not fetched again, and a poll cut short is finished by the next. "
        "Each poll's CrawlReport goes to LUQIAO_CRAWLS_TOPIC. Settings come from "
        "LUQIAO_CRAWLER_* environment variables (SITE_URL, COLUMNS, USER_AGENT, BACKFILL_DATE, "
        "POLL_MINUTES, WARC_DIR, STATE_URL, OFFSITE_ALLOWLIST) and the shared KAFKA_BOOTSTRAP, "
        "LUQIAO_ARTICLES_TOPIC, LUQIAO_CRAWLS_TOPIC."
    ),
    no_args_is_help=False,
)


def _publish_report(settings: CrawlerSettings, summary: CrawlSummary) -> None:
    from .publishing import PublisherUnavailable, publish_crawl_report

    try:
        publish_crawl_report(settings, summary.report(settings.site_url))
    except PublisherUnavailable as exc:
        logging.getLogger("services.crawler").error("crawl report not published: %s", exc)


@crawl_app.callback(invoke_without_command=True)
def crawl(
    once: Annotated[
        bool, typer.Option("--once", help="Crawl once and exit (default: poll forever).")
    ] = False,
    list_columns: Annotated[
        bool,
        typer.Option(
            "--list-columns",
            help="Print the site's columns (id, name, list engine, items) from its navigation.",
        ),
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
        typer.Option(
            "--columns",
            help="Comma-separated column names (今日路桥,部门动态) or ids (default from settings).",
        ),
    ] = None,
    poll_minutes: Annotated[
        float | None,
        typer.Option("--poll-minutes", help="Minutes between polls (default from settings)."),
    ] = None,
) -> None:
    """Crawl once (--once) or poll every N minutes; prints a summary per run."""
    from .run import CrawlFailed, Sink, crawl_once, failed_summary, poll
    from .settings import CrawlerSettings

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
    if list_columns:
        _print_columns(settings)
        return
    sink: Sink = output if output is not None else "kafka"
    if once:
        try:
            summary = crawl_once(settings, sink)
        except CrawlFailed as exc:
            if sink == "kafka":
                _publish_report(settings, exc.summary or failed_summary(str(exc)))
            typer.echo(f"crawl failed: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        if sink == "kafka":
            _publish_report(settings, summary)
        typer.echo(summary.log_line())
        return
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.metrics_host)

    def on_summary(summary: CrawlSummary) -> None:
        if sink == "kafka":
            _publish_report(settings, summary)
        typer.echo(summary.log_line())

    poll(overrides, sink, poll_minutes=settings.poll_minutes, on_summary=on_summary)


def _print_columns(settings: CrawlerSettings) -> None:
    from .column_listing import list_columns

    try:
        found = list_columns(settings)
    except Exception as exc:
        typer.echo(f"首页无法读取 / cannot read {settings.site_url}/: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    if not found:
        typer.echo(
            f"首页导航中没有栏目 / no columns in the navigation of {settings.site_url}/", err=True
        )
        raise typer.Exit(code=1)
    typer.echo("id\tname\tengine\titems")
    for column in found:
        items = "?" if column.items is None else str(column.items)
        suffix = f"\t({column.error})" if column.error else ""
        typer.echo(f"{column.column_id}\t{column.name}\t{column.engine or '-'}\t{items}{suffix}")
