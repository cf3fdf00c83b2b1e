"""The Kafka pipeline under faults, from the site to the ledger.

The crawler (`luqiao-monitor crawl`, polling) reads a local copy of the site that
publishes 1,085 articles in four batches (`labelled_site.py`) and publishes them to
the real broker; the extractor and the tracker (`luqiao-monitor serve …`) take them to
PostgreSQL. Every part is its own process, as deployed. While it runs:

- the crawler is SIGKILLed twice (mid back-fill of the list pages, before any column is
  read to its end; mid article fetches while it publishes) and its crawl child once
  (while the site answers 503), and started again each time;
- the site publishes new articles and hangs past the crawler's download timeout (list
  answers and a quarter of the article pages), then publishes more and answers 503
  (list answers and another quarter), each until the crawler has met it on both kinds
  of page and a few seconds more; one listed article page answers 500 every time;
- the extractor and the tracker are SIGKILLed twice each, at different moments;
- the broker is restarted, and PostgreSQL is stopped for 30 s.

Afterwards every article the site published is on the articles topic, as served (its
page's hash), and nothing else is; the article that always failed was given up and
reported as such. The ledger holds exactly the evidence a clean offline extraction of
the published articles gives, each once; the dead-letter topic holds only the poison
message put in on purpose; every notification reached the subscriber's webhook and
none of its status changes was queued twice. The counts are printed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from services.events import ArticleFetched, canonical_url
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from services.offline_articles import article_from_dict
from services.tracker.ledger.models import EvidenceRow, NotificationRow
from tests.fixture_site import Article, Fault, FixtureSite, is_article_path, is_list_path
from tests.fixture_site.server import JPAAS_API, JPAGE_PROXIES
from tests.infra.kafka_broker import start_broker, stop_broker
from tests.infra.kafka_topics import create_topics, unique_topic_names
from tests.infra.postgres_server import start_server, stop_server
from tests.live_server import free_port
from tests.webhook_receiver import Receiver, running_receiver

from .crawler_process import (
    DOWNLOAD_TIMEOUT_S,
    CrawlerState,
    crawl_args,
    crawler_env,
    poll_totals,
)
from .kafka_harness import Service, dead_letters, read_topic, wait_for
from .labelled_site import SITE_DATA, labelled_articles

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

COPIES = 5
OUTAGE_S = 30
FAULT_S = 4  # how long the site goes on hanging (answering 503) once the crawler met it
TOKEN = "faults-token"
POISON = b"\x00 this is not an article"
ALWAYS_500 = "/art/2023/6/1/art_1683483_5730001.html"  # the oldest item of 部门动态
LIST_DELAY = 0.3  # seconds per list answer during the first poll
CRAWLER_KILLS = 3  # the crawler twice, its crawl child once


def paced(handler: ExtractorHandler, batch: list[Article]) -> int:
    """Roughly how much evidence a batch gives (the article's text offline), only to
    choose the moments of the kills; the verdict compares with what was published."""
    return sum(
        len(
            handler.handle_article(
                article_from_dict(
                    {
                        "url": "https://www.luqiao.gov.cn" + a.path,
                        "title": a.title,
                        "published_at": a.pubdate.replace(" ", "T") + ":00+08:00",
                        "text": "\n".join(a.paragraphs),
                    }
                )
            )
        )
        for a in batch
    )


def kill_crawl_child(crawler: Service) -> None:
    """SIGKILL the crawler's crawl child (the poll under way); the poller goes on."""
    wait_for("a crawl under way", lambda: bool(crawler.children()), 30)
    [child] = crawler.children()
    os.kill(child, signal.SIGKILL)
    assert crawler.proc is not None and crawler.proc.poll() is None


def faulty_pages(quarter: int) -> Callable[[str], bool]:
    """Where one of the site's faults strikes: every list answer (not the home and column
    pages, so a poll still gets to its articles) and a quarter of the article pages; the
    two faults strike different quarters, so no article fails in more than the polls one
    fault spans (two at most: below the crawler's give-up count)."""

    def faulty(path: str) -> bool:
        if path in (JPAAS_API, *JPAGE_PROXIES):
            return True
        digest = int(hashlib.sha1(path.encode()).hexdigest(), 16)
        return is_article_path(path) and digest % 4 == quarter

    return faulty


def hold_fault(
    site: FixtureSite,
    crawler: Service,
    fault: Fault,
    new_articles: list[Article],
    meanwhile: Callable[[], None],
) -> None:
    """Between two polls the site publishes ``new_articles`` and starts to show ``fault``;
    the next poll meets it on list answers and on the new articles' pages (the first of
    them are on the column pages, which stay up). Once it has met both, ``meanwhile``
    runs, and the site heals."""
    wait_for("the crawler between polls", lambda: not crawler.children(), 120)
    site.publish(new_articles)
    site.set_fault(fault)
    try:
        wait_for(
            f"the crawler meeting the site's {fault.kind}",
            lambda: all(
                site.injected_count(fault.kind, kind) for kind in (is_list_path, is_article_path)
            ),
            120,
        )
        meanwhile()
    finally:
        site.set_fault(None)


@pytest.fixture
def run_dirs() -> Iterator[dict[str, Path]]:
    dirs = {
        name: Path(tempfile.mkdtemp(prefix=f"luqiao-faults-{name}-", dir="/tmp"))
        for name in ("kafka", "postgres", "logs", "crawler")
    }
    try:
        yield dirs
    finally:
        stop_broker(dirs["kafka"])
        stop_server(dirs["postgres"])
        for path in dirs.values():
            shutil.rmtree(path, ignore_errors=True)


def test_nothing_lost_nothing_doubled_under_kills_and_outages(
    run_dirs: dict[str, Path],
) -> None:
    site_articles = labelled_articles(COPIES)
    assert len(site_articles) >= 1000
    cuts = [int(len(site_articles) * share) for share in (0, 0.45, 0.6, 0.75, 1)]
    batches = [site_articles[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    handler = ExtractorHandler(ExtractorSettings())
    pace = [paced(handler, batch) for batch in batches]

    bootstrap = start_broker(run_dirs["kafka"])
    db_url = start_server(run_dirs["postgres"])
    topics = unique_topic_names()
    prefix = topics["articles"].split(".")[0]
    topics["crawls"] = f"{prefix}.luqiao.crawls"
    create_topics(bootstrap, topics.values())
    port = free_port()
    common = {
        "KAFKA_BOOTSTRAP": bootstrap,
        "LUQIAO_KAFKA_BOOTSTRAP": bootstrap,
        "LUQIAO_LOG_FORMAT": "json",
        **{f"LUQIAO_{role.upper()}_TOPIC": name for role, name in topics.items()},
    }
    with_db = {**common, "DATABASE_URL": db_url, "LUQIAO_DATABASE_URL": db_url}
    extractor = Service(
        "extractor",
        {**with_db, "LUQIAO_EXTRACTOR_GROUP": f"{prefix}-ex", "LUQIAO_METRICS_PORT": "0"},
        run_dirs["logs"],
    )
    tracker = Service(
        "tracker",
        {
            **with_db,
            "LUQIAO_TRACKER_GROUP": f"{prefix}-tr",
            "LUQIAO_HTTP_PORT": str(port),
            "LUQIAO_API_TOKEN": TOKEN,
            "LUQIAO_WEBHOOK_ALLOW_HOSTS": "127.0.0.1/32",  # the subscriber is on loopback
            "LUQIAO_WEBHOOK_BACKOFF_SECONDS": "0.5",
            # A killed tracker's claimed deliveries wait out their lease (a batch's worth
            # of total time caps) before another pass takes them: keep it short here.
            "LUQIAO_WEBHOOK_TIMEOUT_SECONDS": "1",
            "LUQIAO_WEBHOOK_TOTAL_SECONDS": "1",
        },
        run_dirs["logs"],
    )
    site = FixtureSite(SITE_DATA).start()
    crawler = Service(
        "crawler",
        {**common, **crawler_env(run_dirs["crawler"])},
        run_dirs["logs"],
        args=crawl_args(site.url),
        cwd=run_dirs["crawler"],
    )
    crawled = CrawlerState(run_dirs["crawler"])
    base = f"http://127.0.0.1:{port}"
    engine = create_engine(db_url, pool_pre_ping=True)

    def stored() -> int:
        with engine.connect() as db:
            return db.scalar(select(func.count()).select_from(EvidenceRow)) or 0

    def ready() -> bool:
        return httpx.get(base + "/readyz", timeout=5).status_code == 200

    def at_least(share: float, batches_out: int) -> Callable[[], bool]:
        """A share of the batches out so far crawled, and about that share stored."""
        articles = share * sum(len(batch) for batch in batches[:batches_out])
        evidence = share * sum(pace[:batches_out])
        return lambda: crawled.published() >= articles and stored() >= evidence

    def list_pages_read() -> int:
        return sum(n for path, n in site.counts().items() if is_list_path(path))

    events: list[str] = []
    started = time.monotonic()

    def note(event: str) -> None:
        events.append(
            f"{time.monotonic() - started:6.1f}s {event} "
            f"(crawler published {crawled.published()}, stored {safe_stored()})"
        )

    def safe_stored() -> int | str:
        try:
            return stored()
        except SQLAlchemyError:
            return "?"

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=10)
    services = (crawler, extractor, tracker)
    with running_receiver() as receiver:
        try:
            tracker.start()
            wait_for("tracker ready", ready, 120)
            made = httpx.post(
                base + "/api/subscriptions",
                json={"name": "desk", "scope": "all", "webhook_url": receiver.url},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert made.status_code == 201, made.text
            extractor.start()
            producer.send(topics["articles"], key=b"poison", value=POISON)
            producer.flush(60)

            site.publish(batches[0])
            note(f"site published {len(batches[0])} articles")
            # 1. The first poll walks the lists down to the back-fill date before it asks
            # for articles; list answers are slowed down so that the kill lands there.
            site.data.slow = {path: LIST_DELAY for path in (JPAAS_API, *JPAGE_PROXIES)}
            crawler.start()
            wait_for("the crawler reading list pages", lambda: list_pages_read() >= 10, 120)
            crawler.kill()
            assert crawled.columns_backfilled() == 0
            note(f"SIGKILL crawler #1 mid back-fill ({list_pages_read()} list pages read)")
            site.data.slow = {}
            crawler.start()

            wait_for("a quarter of the first batch through", at_least(0.25, 1), 240)
            extractor.kill()
            note("SIGKILL extractor #1")
            extractor.start()

            # 2. Mid article fetches, while the crawler publishes one after another.
            published = crawled.published()
            wait_for("the crawler publishing", lambda: crawled.published() >= published + 40, 120)
            crawler.kill()
            note("SIGKILL crawler #2 mid article fetches")
            crawler.start()

            wait_for("half of the first batch through", at_least(0.5, 1), 240)
            tracker.kill()
            note("SIGKILL tracker #1")
            tracker.start()
            wait_for("tracker ready again", ready, 120)

            # 3. New articles on a site that hangs, then new ones on a site that answers
            # 503 (list answers and a quarter of the article pages each), until the
            # crawler has met each on both kinds of page and a while longer; the crawl
            # child is killed while the site answers 503. Then the broker is restarted.
            hang = Fault(faulty_pages(0), status=504, hang=DOWNLOAD_TIMEOUT_S + 2)
            hold_fault(site, crawler, hang, batches[1], lambda: time.sleep(FAULT_S))
            note(f"site published {len(batches[1])} more, hung on them and its lists")

            def kill_child_mid_503() -> None:
                kill_crawl_child(crawler)
                note("SIGKILL crawl child while the site answers 503")
                time.sleep(FAULT_S)

            answer_503 = Fault(faulty_pages(1), status=503)
            hold_fault(site, crawler, answer_503, batches[2], kill_child_mid_503)
            note(f"site published {len(batches[2])} more, answered 503 on them and its lists")
            stop_broker(run_dirs["kafka"])
            note("broker stopped")
            time.sleep(3)
            assert start_broker(run_dirs["kafka"]) == bootstrap
            note("broker started")
            wait_for("70 % of three batches through", at_least(0.7, 3), 300)

            stop_server(run_dirs["postgres"])
            note("PostgreSQL stopped")
            site.publish(batches[3])
            note(f"site published the last {len(batches[3])}")
            time.sleep(OUTAGE_S / 2)
            extractor.kill()  # while the tracker cannot write
            note("SIGKILL extractor #2")
            extractor.start()
            time.sleep(OUTAGE_S / 2)
            start_server(run_dirs["postgres"])
            note("PostgreSQL started")
            wait_for("75 % of everything through", at_least(0.75, 4), 300)
            tracker.kill()
            note("SIGKILL tracker #2")
            tracker.start()
            wait_for("tracker ready after the last kill", ready, 120)

            wait_for(
                "the crawler published every article and gave up the broken one",
                lambda: crawled.published() >= len(site_articles) and crawled.gave_up() >= 1,
                300,
            )
            note("crawler done")
            sent = published_articles(bootstrap, topics["articles"], site, site_articles, handler)
            expected = sent.expected
            wait_for("every expected evidence stored", lambda: stored() >= len(expected), 300)
            time.sleep(5)  # anything still in flight would land now

            def all_delivered() -> bool:
                with engine.connect() as db:
                    pending = db.scalar(
                        select(func.count())
                        .select_from(NotificationRow)
                        .where(NotificationRow.delivery_state != "delivered")
                    )
                return pending == 0

            wait_for("every notification delivered", all_delivered, 180)
            note("settled")
        except AssertionError as exc:
            # A stuck run says why: the timeline and the tail of every service's log.
            logs = "\n".join(
                f"--- {path.name}\n{path.read_bytes()[-2000:].decode(errors='replace')}"
                for path in sorted(run_dirs["logs"].glob("*.log"))
            )
            raise AssertionError(f"{exc}\n" + "\n".join(events) + f"\n{logs}") from exc
        finally:
            for service in services:
                service.stop()
            producer.close()
            site.stop()
        polls, totals = poll_totals(crawler.logs())
        print("\n".join(events))
        kinds = (is_list_path, is_article_path)
        timeouts = [site.injected_count("timeout", kind) for kind in kinds]
        answered_503 = [site.injected_count("503", kind) for kind in kinds]
        print(
            f"articles: on the site {len(site_articles)} (+1 always 500), sent by the crawler "
            f"{sent.distinct} ({sent.messages} messages, {sent.twice} sent twice), lost "
            f"{len(sent.lost)}, not of the site {len(sent.extra)}, unlike the page "
            f"{len(sent.changed)}; crawler SIGKILLed {CRAWLER_KILLS} times, {polls} polls "
            f"finished: retried {totals['retried']}, failed {totals['failed']}, gave up "
            f"{totals['gave_up']} (in its state: {crawled.gave_up()}); site faults injected: "
            f"timeouts {timeouts[0]} list / {timeouts[1]} article pages, "
            f"503 {answered_503[0]} list / {answered_503[1]} article pages"
        )
        assert not sent.lost, f"never published: {sent.lost[:3]}"
        assert not sent.extra and not sent.changed, (sent.extra[:3], sent.changed[:3])
        # Given up, and said so: in the state, in the log and (unless the poll that gave
        # up was the one killed) in the poll's summary.
        assert crawled.gave_up() == 1 and totals["gave_up"] <= 1
        assert f"gave up on {site.url}{ALWAYS_500}" in crawler.logs()
        assert sum(timeouts) >= 1 and min(answered_503) >= 1
        # Only a kill between the broker's ack and the seen mark, or a publish whose ack
        # was lost to the broker restart, sends an article twice.
        assert sent.twice <= CRAWLER_KILLS + 1
        report(engine, expected, receiver, topics["deadletter"], bootstrap)
    engine.dispose()


@dataclass
class Published:
    """What the crawler put on the articles topic, against what the site served."""

    messages: int
    distinct: int
    twice: int
    lost: list[str]  # articles of the site never published
    extra: list[str]  # published, but not an article of the site
    changed: list[str]  # published unlike the page the site served
    expected: set[str]  # the evidence a clean offline extraction of them gives


def published_articles(
    bootstrap: str,
    topic: str,
    site: FixtureSite,
    site_articles: list[Article],
    handler: ExtractorHandler,
) -> Published:
    messages = [value for key, value in read_topic(bootstrap, topic) if key != b"poison"]
    published = [ArticleFetched.model_validate_json(value) for value in messages]
    served = {
        canonical_url(site.url + a.path): hashlib.sha256(
            site.data.article_page(a, site.url)
        ).hexdigest()
        for a in site_articles
    }
    seen = Counter(canonical_url(a.url) for a in published)
    revisions = {(a.article_id, a.html_sha256): a for a in published}
    return Published(
        messages=len(published),
        distinct=len(seen),
        twice=sum(n > 1 for n in seen.values()),
        lost=sorted(set(served) - set(seen)),
        extra=sorted(set(seen) - set(served)),
        changed=[a.url for a in published if a.html_sha256 != served.get(canonical_url(a.url))],
        expected={ev.evidence_id for a in revisions.values() for ev in handler.handle_article(a)},
    )


def report(
    engine: Any,
    expected: set[str],
    receiver: Receiver,
    deadletter_topic: str,
    bootstrap: str,
) -> None:
    with engine.connect() as db:
        ids = list(db.scalars(select(EvidenceRow.evidence_id)))
        notes = list(
            db.execute(select(NotificationRow.status_event_id, NotificationRow.subscription_id))
        )
    stored = set(ids)
    lost, extra = expected - stored, stored - expected
    duplicates = len(ids) - len(stored)
    received = Counter(headers["x-luqiao-event-id"] for headers, _ in receiver.received)
    sent_twice = sum(1 for n in received.values() if n > 1)
    letters = dead_letters(bootstrap, deadletter_topic)
    print(
        f"evidence: expected {len(expected)}, stored {len(stored)}, lost {len(lost)}, "
        f"extra {len(extra)}, duplicates {duplicates}; notifications {len(notes)}, "
        f"webhook posts {sum(received.values())}, events sent twice {sent_twice}; "
        f"dead letters {len(letters)}"
    )
    assert not lost and not extra and duplicates == 0
    assert len(notes) == len(set(notes))  # one notification per status change
    assert set(received) == {event for event, _ in notes}  # every one reached the receiver
    # Webhooks are at-least-once (receivers dedupe on X-Luqiao-Event-Id): only a kill
    # between a POST and its record could send one twice, and there were two.
    assert sent_twice <= 2
    assert [(d["source_topic"], d["service"]) for d in letters] == [
        (deadletter_topic.replace("deadletter", "articles"), "extractor")
    ]
