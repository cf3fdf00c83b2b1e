"""The Kafka fault suite's moving parts: the product's processes (each started as
deployed, SIGKILLed and started again by the test), waiting on a condition, and reading
a topic back from the broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer
from sqlalchemy.exc import SQLAlchemyError

from .embedded_harness import alive


class Service:
    """One `luqiao-monitor …` process that the test may SIGKILL and restart."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        log_dir: Path,
        args: list[str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name, self.env, self.log_dir, self.cwd = name, env, log_dir, cwd
        self.args = args or ["serve", name]
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"{self.name}-{self.starts}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *self.args],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
        )

    def children(self) -> list[int]:
        """Pids of the process's children (the crawler's crawl child)."""
        if self.proc is None:
            return []
        found: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            try:
                found += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def kill(self) -> None:
        """SIGKILL the process; a child it had (a crawl) must die with it."""
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} is not running"
        children = self.children()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in children), f"{self.name}'s child outlived it"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return "".join(
            path.read_text("utf-8", errors="replace")
            for path in sorted(self.log_dir.glob(f"{self.name}-*.log"))
        )


def wait_for(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (SQLAlchemyError, httpx.HTTPError):
            pass  # a service or the database on its way back up
        time.sleep(0.5)
    raise AssertionError(f"not in {timeout:.0f}s: {what}")


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    """Every message on ``topic`` (key, value), from the beginning."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        return [(m.key, m.value) for m in consumer]
    finally:
        consumer.close()


def dead_letters(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    return [json.loads(value) for _, value in read_topic(bootstrap, topic)]
