"""`luqiao-monitor`: every way to run the product, from one command."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import threading
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from services.catalog.cli import catalog_app
from services.crawler.cli import crawl_app

app = typer.Typer(
    help=(
        "Watch the Luqiao district news site and track the commitments of its work reports.\n\n"
        "Settings come from environment variables (see the README's table); options override them."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(
    catalog_app,
    name="catalog",
    help="The commitment catalog: show it, rebuild it, import a report.",
)
app.add_typer(crawl_app, name="crawl", help="Crawl the site's news columns once or on a schedule.")
serve_app = typer.Typer(
    help="Run one service against Kafka (the deployed shape).", no_args_is_help=True
)
app.add_typer(serve_app, name="serve")


def _logging() -> None:
    from services.log_config import configure_logging
    from services.settings import BusSettings

    s = BusSettings()
    configure_logging(s.log_format, s.log_level)


@app.command()
def run(
    site_url: Annotated[
        str | None, typer.Option(help="Site root to crawl (a mirror for tests)")
    ] = None,
    poll_minutes: Annotated[float, typer.Option(help="Minutes between polls of the site")] = 60.0,
    database_url: Annotated[
        str | None, typer.Option(help="Default: $DATABASE_URL or sqlite:///./luqiao.db")
    ] = None,
    host: Annotated[str | None, typer.Option(help="HTTP host (default $LUQIAO_HTTP_HOST)")] = None,
    port: Annotated[
        int | None, typer.Option(help="HTTP port (default $LUQIAO_HTTP_PORT, 8080)")
    ] = None,
    progress_every: Annotated[
        float,
        typer.Option(
            help="Seconds between progress log lines while polling, when stderr is not a "
            "terminal (on a terminal a progress bar is shown)"
        ),
    ] = 10.0,
) -> None:
    """The whole product in one process, without Kafka: poll the site, extract,
    track, and serve the web page, API and /metrics. A back-fill shows its progress."""
    from services.crawler.handoff import HandoffQueue
    from services.crawler.settings import CrawlerSettings
    from services.embedded import EmbeddedPipeline, poll_loop
    from services.extractor.handler import ExtractorHandler
    from services.extractor.settings import ExtractorSettings
    from services.progress_views import progress_view
    from services.tracker.app import tracker_api
    from services.tracker.service import TrackerService
    from services.tracker.settings import TrackerSettings

    _logging()
    overrides = {"database_url": database_url} if database_url else {}
    tracker_settings = TrackerSettings(**overrides)  # type: ignore[arg-type]
    tracker = TrackerService(tracker_settings)
    api = tracker_api(tracker)  # migrates and decides every status on start-up
    crawl_overrides: dict[str, object] = {"database_url": tracker_settings.database_url}
    if site_url:
        crawl_overrides["site_url"] = site_url
    crawler_settings = CrawlerSettings(**crawl_overrides)  # type: ignore[arg-type]
    # The crawler's own store (beside the database by default) holds the hand-off queue.
    crawl_overrides["state_url"] = crawler_settings.resolved_state_url()
    crawl_overrides["site_url"] = crawler_settings.site_url
    queue = HandoffQueue(crawler_settings.resolved_state_url())
    pipeline = EmbeddedPipeline(
        ExtractorHandler(ExtractorSettings()), tracker, queue, progress_view(progress_every)
    )
    stop = threading.Event()
    poller = threading.Thread(
        target=poll_loop, args=(pipeline, crawl_overrides, poll_minutes, stop), daemon=True
    )
    tracker_lifespan = api.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        # Poll (and drain what a crash left in the hand-off queue) only once the
        # tracker has migrated its schema and loaded the catalog.
        async with tracker_lifespan(app) as state:
            poller.start()
            yield state

    api.router.lifespan_context = lifespan
    try:
        _serve_http(api, tracker_settings, host, port)
    finally:
        stop.set()


@serve_app.command("extractor")
def serve_extractor() -> None:
    """Consume luqiao.articles, publish luqiao.evidence (FastStream, consumer group)."""
    import asyncio

    from services.extractor.app import build_app
    from services.extractor.settings import ExtractorSettings

    _logging()
    settings = ExtractorSettings()
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    asyncio.run(build_app(settings).run())


@serve_app.command("tracker")
def serve_tracker(
    host: Annotated[str | None, typer.Option(help="HTTP host")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
) -> None:
    """Consume luqiao.evidence into the database, publish luqiao.status, serve HTTP."""
    from services.tracker.app import build_tracker_api
    from services.tracker.settings import TrackerSettings

    _logging()
    settings = TrackerSettings()
    _serve_http(build_tracker_api(settings), settings, host, port)


def _serve_http(app: Any, settings: Any, host: str | None, port: int | None) -> None:
    """Serve the tracker's HTTP app with uvicorn and our access log (`serve tracker` and
    the embedded `run` alike): uvicorn's own access log is always off."""
    import uvicorn

    from services.tracker.api.access_log import serving_with_access_log

    with serving_with_access_log(
        app, enabled=settings.http_access_log, log_format=settings.log_format
    ) as served:
        uvicorn.run(
            served,
            host=host or settings.http_host,
            port=port or settings.http_port,
            log_level="info",
            access_log=False,  # ours (api/access_log.py), when the setting is on
        )


@app.command()
def extract(
    source: Annotated[
        str,
        typer.Argument(help="JSON-lines articles (url, title, published_at, text), or - for stdin"),
    ] = "-",
) -> None:
    """Offline extraction: articles in, one JSON line of evidence per match out.

    A bad line (not JSON, no url, text or date, a wrong date, invalid UTF-8, text
    over LUQIAO_MAX_TEXT_CHARS) is reported on stderr with its number and skipped;
    the exit code is 1 when any line was bad. A null title is fine.
    """
    from services.extractor.handler import ExtractorHandler
    from services.extractor.settings import ExtractorSettings
    from services.offline_articles import BadLine, read_jsonl

    settings = ExtractorSettings()
    handler = ExtractorHandler(settings)
    stream = sys.stdin.buffer if source == "-" else open(source, "rb")
    n_articles = n_evidence = n_bad = 0
    with stream:
        for item in read_jsonl(stream, settings.max_text_chars):
            if isinstance(item, BadLine):
                n_bad += 1
                typer.echo(f"{source}:{item.line}: skipped: {item.reason}", err=True)
                continue
            n_articles += 1
            for ev in handler.handle_article(item):
                n_evidence += 1
                sys.stdout.write(ev.model_dump_json() + "\n")
    typer.echo(f"{n_articles} articles, {n_evidence} evidence, {n_bad} bad lines", err=True)
    if n_bad:
        raise typer.Exit(1)


@app.command()
def explain(
    article_file: Annotated[
        Path, typer.Argument(help="One article as JSON (url, title, published_at, text)")
    ],
) -> None:
    """Print each commitment the article speaks of, with the quote and the reasons."""
    from services.extractor.handler import ExtractorHandler
    from services.extractor.settings import ExtractorSettings
    from services.offline_articles import article_from_dict

    article = article_from_dict(json.loads(article_file.read_text(encoding="utf-8")))
    handler = ExtractorHandler(ExtractorSettings())
    found = handler.extractor.extract(article)
    if not found:
        typer.echo("no commitment found")
    for m in found:
        typer.echo(f"{m.commitment.id}  [{m.commitment.report.plan_year}] {m.commitment.text}")
        typer.echo(f"  stage={m.stage.value} confidence={m.confidence} mentions={m.mentions}")
        typer.echo(f"  quote[{m.start}:{m.end}]: {m.quote}")
        if m.figures:
            typer.echo("  figures: " + ", ".join(f"{f.text} ({f.role})" for f in m.figures))
        typer.echo("  reasons: " + "; ".join(m.reasons))


@app.command("score-extractor")
def score_extractor(
    data: Annotated[Path, typer.Option(help="Labelled articles (JSON lines)")] = Path(
        "tests/data/labelled/articles.jsonl"
    ),
    split: Annotated[str, typer.Option(help="dev, heldout or all")] = "all",
    errors: Annotated[bool, typer.Option(help="List every wrong link")] = False,
    baseline: Annotated[
        bool, typer.Option(help="Score the word-presence baseline instead of the extractor")
    ] = False,
) -> None:
    """Precision, recall and F1 of commitment links, and stage accuracy, on the labelled set."""
    from services.extractor.evaluation import evaluate_file

    report = evaluate_file(data, split=split, baseline=baseline)
    typer.echo(report.render(show_errors=errors))


@app.command("redecide-statuses")
def redecide_statuses(
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Date (YYYY-MM-DD) within the catalog's years; default today in Asia/Shanghai"
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List what would change; store nothing and notify nobody"),
    ] = False,
) -> None:
    """Re-decide every commitment's status as of a date (deadlines, stalls).

    Status changes are stored and queued for the subscribers' webhooks and feeds,
    as the tracker's daily pass does; --dry-run shows them first.
    """
    from services.tracker.api.input_bounds import check_as_of
    from services.tracker.notifications.outbox import SubscriptionMatcher
    from services.tracker.reevaluation_preview import preview_reevaluation
    from services.tracker.service import TrackerService, today_in_china
    from services.tracker.settings import TrackerSettings

    _logging()
    service = TrackerService(TrackerSettings())
    try:
        day = date.fromisoformat(as_of) if as_of else today_in_china()
        check_as_of(day, service.catalog.values(), today_in_china())
    except ValueError as exc:
        typer.echo(f"--as-of: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if dry_run:
        changes = preview_reevaluation(service, day)
        for c in changes:
            typer.echo(f"{c.commitment_id}: {c.old_status or '—'} → {c.new_status}")
        typer.echo(f"{len(changes)} status changes as of {day.isoformat()} (dry run: none stored)")
        return
    service.add_listener(SubscriptionMatcher(service.catalog))
    changes = service.start(day)
    typer.echo(f"{len(changes)} status changes as of {day.isoformat()}")


def _deprecated_alias(old: str, command: Callable[..., None]) -> None:
    """Keep an old command name working (hidden from --help) with a one-line notice
    on stderr, so scripts that call it keep running while they are moved over."""
    new = command.__name__.replace("_", "-")

    @functools.wraps(command)
    def alias(*args: Any, **kwargs: Any) -> None:
        typer.echo(f"`luqiao-monitor {old}` is deprecated: use `luqiao-monitor {new}`", err=True)
        command(*args, **kwargs)

    app.command(old, hidden=True)(alias)


# The names until 2026-11: "evaluate" scored the extractor and "reevaluate" re-decided
# statuses, two unrelated jobs one prefix apart.
_deprecated_alias("evaluate", score_extractor)
_deprecated_alias("reevaluate", redecide_statuses)


@app.command()
def asyncapi(
    out: Annotated[Path, typer.Option(help="Directory for the AsyncAPI documents")] = Path(
        "docs/asyncapi"
    ),
) -> None:
    """Write the AsyncAPI documents of the extractor and the tracker."""
    from services.api_docs import write_asyncapi

    for path in write_asyncapi(out):
        typer.echo(str(path))


@app.command()
def openapi(
    out: Annotated[Path, typer.Option(help="File for the OpenAPI document")] = Path(
        "docs/openapi.json"
    ),
) -> None:
    """Write the OpenAPI document of the tracker's HTTP API."""
    from services.api_docs import write_openapi

    typer.echo(str(write_openapi(out)))


if __name__ == "__main__":
    app()
