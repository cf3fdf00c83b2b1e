"""The embedded mode killed mid-poll loses nothing and doubles nothing.

`luqiao-monitor run` polls the local fixture site (article pages slowed down so a
poll lasts long enough to be hit). The `run` parent is SIGKILLed at several
moments (the crawl child just started; articles waiting in the hand-off queue;
later in the crawl); after each parent kill the crawl child must be gone too,
and `run` is started again. Then the site hangs past the crawler's download
timeout, and answers 503 to list and article pages, each until the crawler has
met it; and the crawl child is SIGKILLed mid-crawl, twice. At the end every
article's evidence is in the ledger exactly once: the same number of evidence
rows as a clean run of the same site, and no (commitment, article revision) twice.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixture_site import Fault, FixtureSite, is_article_path, is_list_path

from .embedded_harness import DOWNLOAD_TIMEOUT_S, EmbeddedRun, alive, wait_for

pytestmark = pytest.mark.slow
SITE_DATA = Path(__file__).resolve().parents[1] / "data" / "site"
ARTICLE_DELAY = 0.4  # seconds per article page: a poll takes ~10 s
FAULT_LINGER_S = 2 * DOWNLOAD_TIMEOUT_S


@pytest.fixture
def slow_site() -> Iterator[FixtureSite]:
    with FixtureSite(SITE_DATA) as site:
        for path in site.data.articles:
            site.data.slow.setdefault(path, ARTICLE_DELAY)
        yield site


def _run_to_completion(run: EmbeddedRun, expected_pages: int | None) -> None:
    """Wait until a poll has published everything and the queue is drained, then stop."""
    settled = wait_for(
        lambda: (
            run.published_pages() >= (expected_pages or 1)
            and run.queued() == 0
            and not run.crawl_children()
        ),
        timeout=180,
        every=0.5,
    )
    assert settled, "the run did not finish its poll"
    if expected_pages is None:
        # A clean run: wait for a second poll to prove the first one was complete.
        wait_for(lambda: False, timeout=5)
    run.stop()


@pytest.fixture(scope="module")
def clean_counts(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, int]:
    workdir = tmp_path_factory.mktemp("clean")
    with FixtureSite(SITE_DATA) as site:
        run = EmbeddedRun(workdir, site.url)
        run.start()
        _run_to_completion(run, None)
        assert wait_for(lambda: run.evidence_rows() > 0, timeout=5)
        pages, evidence = run.published_pages(), run.evidence_rows()
    assert pages >= 15 and evidence > 0
    return pages, evidence


def test_kills_of_parent_and_child_lose_and_double_nothing(
    slow_site: FixtureSite, tmp_path: Path, clean_counts: tuple[int, int]
) -> None:
    pages, evidence = clean_counts
    run = EmbeddedRun(tmp_path, slow_site.url)
    moments: list[str] = []

    def kill_parent(when: str, ready: object) -> None:
        run.start()
        assert wait_for(ready, timeout=120), f"never reached: {when}"  # type: ignore[arg-type]
        queued = run.queued()
        children = run.kill_parent()
        assert children, f"no crawl child at {when}"
        assert wait_for(lambda: not any(alive(pid) for pid in children), timeout=10), (
            f"crawl child outlived its parent ({when})"
        )
        moments.append(f"parent@{when}: published={run.published_pages()} queued={queued}")

    # 1. the crawl child has just started: nothing published yet
    kill_parent("child started", lambda: bool(run.crawl_children()))
    # 2. articles committed to the hand-off queue and marked seen, not yet in the ledger
    kill_parent("queue holds articles", lambda: run.queued() >= 1)
    # 3. later in the crawl
    kill_parent("half published", lambda: run.published_pages() >= pages // 2)

    # 4. the site hangs, then answers 503, until the crawler has met each and a while
    # longer (so that Scrapy's own retries fail too and later polls must resume)
    run.start()
    site = slow_site
    met: dict[str, int] = {}
    for fault, kinds in (
        (Fault(lambda path: True, status=504, hang=DOWNLOAD_TIMEOUT_S + 1), [is_list_path]),
        (Fault(lambda path: True, status=503), [is_list_path, is_article_path]),
    ):
        site.set_fault(fault)
        reached = wait_for(
            lambda f=fault, k=kinds: all(site.injected_count(f.kind, kind) for kind in k),
            timeout=60,
            every=0.2,
        )
        wait_for(lambda: False, timeout=FAULT_LINGER_S)
        site.set_fault(None)
        assert reached, f"the crawler never met the site's {fault.kind}"
        for kind in (is_list_path, is_article_path):
            met[f"{fault.kind} {kind.__name__}"] = site.injected_count(fault.kind, kind)
    moments.append(f"site faults met: {met}")

    # 5. the crawl child killed mid-crawl (twice): the parent polls again by itself
    for share in (0.7, 0.85):
        target = int(pages * share)
        assert wait_for(
            lambda t=target: run.published_pages() >= t and bool(run.crawl_children()),
            timeout=120,
        )
        [child] = run.crawl_children()
        os.kill(child, signal.SIGKILL)
        moments.append(f"child@{share:.0%}: published={run.published_pages()}")
    _run_to_completion(run, pages)

    print("\n".join(moments))
    print(
        f"clean run: {pages} articles, {evidence} evidence rows; after kills: "
        f"{run.published_pages()} articles, {run.evidence_rows()} evidence rows, "
        f"duplicates={run.duplicate_evidence()}, still queued={run.queued()}"
    )
    assert run.published_pages() == pages
    assert run.queued() == 0 and run.refused() == 0
    assert run.duplicate_evidence() == 0
    assert run.evidence_rows() == evidence
