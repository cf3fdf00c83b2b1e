"""`luqiao-monitor serve extractor` listens for Prometheus on loopback only, unless
LUQIAO_METRICS_HOST says otherwise: the metrics port must not be open to the whole
network by default. The command runs for real, against the session's Kafka broker,
and is probed from this machine's loopback and from its network address."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.infra.kafka_topics import bus_settings_env
from tests.live_server import free_port


def network_address() -> str | None:
    """This machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(s.getsockname()[0])
    return None if address.startswith("127.") else address


def answers(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@contextmanager
def serve_extractor(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "extractor"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.kafka
@pytest.mark.slow
def test_extractor_metrics_listen_on_loopback_by_default(
    kafka_bootstrap: str, kafka_topics: dict[str, str]
) -> None:
    outside = network_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback address to probe from")
    port = free_port()
    topics = bus_settings_env(kafka_topics)
    env = {
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "LUQIAO_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "LUQIAO_METRICS_PORT": str(port),
        **topics,
    }
    with serve_extractor(env) as proc:
        deadline = time.monotonic() + 60
        while not answers("127.0.0.1", port):
            assert proc.poll() is None, "serve extractor exited"
            assert time.monotonic() < deadline, "metrics never answered on loopback"
            time.sleep(0.2)
        assert not answers(outside, port)
