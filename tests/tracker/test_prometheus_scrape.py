"""Prometheus itself (the Debian package's server) scrapes the tracker's `/metrics`:
it asks for gzip, gets the gzip body, and stores the ledger's series with the values
a plain scrape shows. Where the other scrape tests parse the text with
prometheus_client, this one goes through the real scraper's HTTP client and parser."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.tracker.api.main import create_api
from services.tracker.service import TrackerService
from tests.deploy.system_tools import require_tool
from tests.live_server import free_port, serving
from tests.tracker.seeded_ledger import seed_ledger

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

FAMILY = "luqiao_commitment_evidence_count"


class ScrapeRecorder:
    """In front of the app: each `/metrics` request's Accept-Encoding and the
    Content-Encoding it was answered with."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.scrapes: list[tuple[str | None, str | None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/metrics":
            await self.app(scope, receive, send)
            return
        asked = dict(scope["headers"]).get(b"accept-encoding")

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                coding = dict(message["headers"]).get(b"content-encoding")
                self.scrapes.append(
                    (asked and asked.decode("latin-1"), coding and coding.decode("latin-1"))
                )
            await send(message)

        await self.app(scope, receive, noting)


@pytest.fixture
def prometheus_scraping(
    tracker: TrackerService, tmp_path: Path
) -> Iterator[tuple[str, str, ScrapeRecorder]]:
    """(tracker url, Prometheus url, recorder) with Prometheus scraping every second."""
    prometheus = require_tool("prometheus", "prometheus")
    seed_ledger(tracker)
    recorder = ScrapeRecorder(create_api(tracker))
    with serving(recorder) as tracker_url:
        config = tmp_path / "prometheus.yml"
        target = tracker_url.removeprefix("http://")
        config.write_text(
            "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
            f"scrape_configs: [{{job_name: tracker, static_configs: [{{targets: ['{target}']}}]}}]\n"
        )
        port = free_port()
        log = (tmp_path / "prometheus.log").open("wb")
        proc = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield tracker_url, f"http://127.0.0.1:{port}", recorder
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()


def _query(prometheus_url: str, expr: str) -> list[dict[str, Any]]:
    url = f"{prometheus_url}/api/v1/query?query={urllib.parse.quote(expr)}"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            answer = json.load(r)
    except OSError:
        return []  # not up yet
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])


def test_prometheus_scrapes_the_gzip_body_and_stores_the_ledger(
    prometheus_scraping: tuple[str, str, ScrapeRecorder],
) -> None:
    tracker_url, prometheus_url, recorder = prometheus_scraping
    deadline = time.monotonic() + 60
    stored: list[dict[str, Any]] = []
    while not stored and time.monotonic() < deadline:
        time.sleep(0.5)
        stored = _query(prometheus_url, FAMILY)
    assert stored, "Prometheus stored no ledger series"
    up = _query(prometheus_url, 'up{job="tracker"}')
    assert [s["value"][1] for s in up] == ["1"]
    # Prometheus asked for gzip and was answered with it.
    assert recorder.scrapes and all(
        "gzip" in (asked or "") and coding == "gzip" for asked, coding in recorder.scrapes
    ), recorder.scrapes
    # Its values are the plain body's.
    plain = httpx.get(tracker_url + "/metrics", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    (family,) = [f for f in text_string_to_metric_families(plain.text) if f.name == FAMILY]
    expected = {s.labels["commitment_id"]: s.value for s in family.samples}
    got = {s["metric"]["commitment_id"]: float(s["value"][1]) for s in stored}
    assert got == expected and any(v > 0 for v in got.values())
