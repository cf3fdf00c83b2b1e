"""`luqiao-monitor run` back-fills a generated fixture site and shows its progress: the
real process, its crawl children and a real HTTP site; stderr is a pipe here, so the
progress comes as log lines (a terminal gets the bar: tests/test_backfill_progress.py)."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixture_site import FixtureSite, GeneratedSiteData, fast_environment

pytestmark = pytest.mark.slow
SITE = Path(__file__).parent / "data" / "site_generated"
ARTICLES = 120  # 30 a column: two list pages each, read one a poll


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fields(line: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", line))


def test_a_backfill_over_several_polls_shows_its_progress_and_counts_right(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'luqiao.db'}",
        **fast_environment(tmp_path),
        "LUQIAO_CRAWLER_MAX_LIST_PAGES": "1",
        "LUQIAO_LOG_FORMAT": "console",
    }
    stderr = tmp_path / "stderr.log"
    with FixtureSite(GeneratedSiteData(SITE, ARTICLES)) as site, stderr.open("wb") as err:
        command = [sys.executable, "-m", "services.cli", "run", "--site-url", site.url]
        command += ["--port", str(_free_port()), "--progress-every", "0.5"]
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=err, stderr=err)
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and proc.poll() is None:
                if re.search(r"back-fill progress.*done=True", stderr.read_text("utf-8")):
                    break
                time.sleep(0.5)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    output = stderr.read_text("utf-8")
    lines = [_fields(x) for x in output.splitlines() if "back-fill progress" in x]
    assert lines and lines[-1].get("done") == "True", output[-3000:]
    final = lines[-1]
    with sqlite3.connect(tmp_path / "luqiao.db") as db:
        evidence = db.execute("SELECT count(*) FROM evidence").fetchone()[0]
    # Every article of the site went through, over more than one poll (the back-fill went
    # on at once, not after --poll-minutes), and the figures are the ledger's.
    assert final["articles"] == str(ARTICLES) and final["total"] == str(ARTICLES)
    assert int(final["polls"]) >= 2 and "the next poll starts now" in output
    assert int(final["evidence"]) == evidence > 0
    # On the way, the total was known and an ETA given while articles were still to come.
    under_way = [x for x in lines if x.get("total") not in ("None", None)]
    assert any(int(x["articles"]) < ARTICLES and x["eta"] != "None" for x in under_way)
    # The total is an estimate (the crawler's report is up to a second old), close to the
    # site's count from the first poll on: the lists' counts, less what was read, plus what
    # was asked for and not answered yet.
    seen = [(x["articles"], x["queued"], x["list_items_read"], x["total"]) for x in under_way]
    assert all(abs(int(x["total"]) - ARTICLES) <= ARTICLES // 10 for x in under_way), seen
