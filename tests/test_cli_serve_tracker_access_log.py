"""`luqiao-monitor serve tracker` writes one structured access line per request
(api/access_log.py, in the LUQIAO_LOG_FORMAT of the other logs) unless
LUQIAO_HTTP_ACCESS_LOG turns it off, and uvicorn's own access line never. The command
runs for real, against the session's Kafka broker, on SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.infra.kafka_topics import bus_settings_env
from tests.live_server import free_port

UVICORN_LINE = '"GET /healthz HTTP/1.1" 200'


def _healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.parametrize(("setting", "logged"), [("true", True), ("false", False)])
def test_access_log_follows_the_setting(
    kafka_bootstrap: str,
    kafka_topics: dict[str, str],
    tmp_path: Path,
    setting: str,
    logged: bool,
) -> None:
    port = free_port()
    topics = bus_settings_env(kafka_topics)
    env = {
        **os.environ,
        **topics,
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "LUQIAO_TRACKER_GROUP": f"access-log-{setting}",
        "LUQIAO_HTTP_ACCESS_LOG": setting,
        "LUQIAO_LOG_FORMAT": "json",
    }
    output = tmp_path / "serve.log"
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "tracker", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while not _healthz(port):
                assert proc.poll() is None, output.read_text()
                assert time.monotonic() < deadline, "the tracker never answered"
                time.sleep(0.2)
            assert _healthz(port)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = output.read_text()
    assert UVICORN_LINE not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    requests = [ln for ln in lines if ln.get("event") == "http_request"]
    assert bool(requests) is logged
    for line in requests:  # written at the latest when the server stopped
        assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
        assert str(line["client"]).startswith("127.0.0.1:") and line["duration_ms"] >= 0
