"""A real single-node Kafka broker for a test session, started by deploy/kafka/local-kafka.

Why a real broker: the services' contract is Kafka's (keys, partitions, acks, consumer
groups, offsets). The in-memory test broker checks handlers, not that contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_KAFKA = REPO_ROOT / "deploy" / "kafka" / "local-kafka"
BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP"
# A cold start fetches ~45 jars from Maven Central first (about 7 s here), then the broker
# needs 4-8 s on a busy 2-core machine; the margin covers a slow registry.
START_TIMEOUT_S = 600


class BrokerStartError(RuntimeError):
    """local-kafka could not bring the broker up; the message carries its log tail."""


def parse_bootstrap(script_output: str) -> str:
    """The value of the ``KAFKA_BOOTSTRAP=host:port`` line local-kafka prints."""
    for line in script_output.splitlines():
        if line.startswith(f"{BOOTSTRAP_ENV}="):
            return line.split("=", 1)[1].strip()
    raise BrokerStartError(f"no {BOOTSTRAP_ENV}= line in local-kafka output: {script_output!r}")


def start_broker(run_dir: Path) -> str:
    """Start a broker whose config, data and logs live in ``run_dir``; return its bootstrap."""
    result = subprocess.run(
        [str(LOCAL_KAFKA), "start", "--dir", str(run_dir), "--owner-pid", str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise BrokerStartError(
            f"local-kafka start failed ({result.returncode}); logs in {run_dir}:\n{result.stderr}"
        )
    return parse_bootstrap(result.stdout)


def stop_broker(run_dir: Path) -> None:
    """SIGTERM the broker in ``run_dir`` (local-kafka escalates to SIGKILL on a timeout)."""
    subprocess.run(
        [str(LOCAL_KAFKA), "stop", "--dir", str(run_dir)],
        capture_output=True,
        timeout=120,
        check=False,
    )


@contextmanager
def running_kafka_broker() -> Iterator[str]:
    """Yield the bootstrap address of a broker that runs for the duration of the block.

    If ``KAFKA_BOOTSTRAP`` is set, that broker is used and nothing is started or stopped:
    this lets a developer point the tests at a broker they already run.
    """
    existing = os.environ.get(BOOTSTRAP_ENV)
    if existing:
        yield existing
        return
    run_dir = Path(tempfile.mkdtemp(prefix="luqiao-kafka-", dir="/tmp"))
    bootstrap = start_broker(run_dir)
    try:
        yield bootstrap
    finally:
        stop_broker(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
