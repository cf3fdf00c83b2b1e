"""Runs ``luqiao-monitor run`` as a real process against the fixture site, and reads
what it stored: the ledger (evidence rows) and the crawler's state (pages, hand-off queue).
Shared by the embedded fault tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.fixture_site import fast_environment

CLI = Path(sys.executable).with_name("luqiao-monitor")
DOWNLOAD_TIMEOUT_S = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _query(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": 30})
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar() or 0)
    except Exception:
        return 0
    finally:
        engine.dispose()


@dataclass
class EmbeddedRun:
    """One workdir (ledger + crawler state) across several `run` processes."""

    workdir: Path
    site_url: str
    poll_minutes: float = 0.05
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def ledger(self) -> Path:
        return self.workdir / "luqiao.db"

    @property
    def state(self) -> Path:
        return self.workdir / "luqiao-crawler.db"  # beside the ledger, by default

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LUQIAO_") and k not in {"DATABASE_URL", "KAFKA_BOOTSTRAP"}
        }
        env.update(
            {
                "DATABASE_URL": f"sqlite:///{self.ledger}",
                **fast_environment(self.workdir),
                "LUQIAO_CRAWLER_RETRY_BACKOFF_BASE": "0.05",
                "LUQIAO_CRAWLER_ARTICLE_RETRY_MINUTES": "0",
                # A page that hangs longer times out (the site's slowest page takes 1.5 s).
                "LUQIAO_CRAWLER_DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT_S),
                "LUQIAO_CRAWLER_LOG_LEVEL": "WARNING",
                "LUQIAO_LOG_LEVEL": "WARNING",
            }
        )
        return env

    def start(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        log = (self.workdir / f"run{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(CLI),
                "run",
                "--site-url",
                self.site_url,
                "--poll-minutes",
                str(self.poll_minutes),
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
            ],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        return self.process

    def crawl_children(self) -> list[int]:
        """Pids of the running `run` process's children (the crawl child)."""
        if self.process is None:
            return []
        found: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            try:
                found += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def kill_parent(self) -> list[int]:
        """SIGKILL the `run` process; returns the crawl children it had."""
        assert self.process is not None
        children = self.crawl_children()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        return children

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    # ---- what was stored -------------------------------------------------------------
    def evidence_rows(self) -> int:
        return _query(self.ledger, "select count(*) from evidence")

    def duplicate_evidence(self) -> int:
        return _query(
            self.ledger,
            "select count(*) from (select commitment_id, article_id, html_sha256 "
            "from evidence group by 1, 2, 3 having count(*) > 1)",
        )

    def published_pages(self) -> int:
        return _query(self.state, "select count(*) from crawler_pages where published")

    def queued(self) -> int:
        return _query(self.state, "select count(*) from crawler_handoff where state = 'ready'")

    def refused(self) -> int:
        return _query(self.state, "select count(*) from crawler_handoff where state = 'dead'")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead


def wait_for(predicate: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
