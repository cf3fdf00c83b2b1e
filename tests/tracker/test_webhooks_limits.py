"""A receiver cannot hold the tracker: an answer of 1.5 GB (generated as it is sent)
is cut at the response cap with bounded memory, and receivers that drip their answer
a byte at a time, in the headers or in the body, are cut by the total-time cap
although every single read is well within the per-read timeout. Real HTTP servers
on 127.0.0.1, written at the socket level to control every byte."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from services.tracker.ledger.models import DeliveryAttemptRow, SubscriptionRow
from services.tracker.notifications.outbox import utc_now
from services.tracker.notifications.webhooks import deliver_due
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.tracker.evidence_factory import report_unfinished_after_deadline
from tests.tracker.subscribing import running

HUGE_BYTES = 1_500_000_000
CHUNK = b"x" * (1 << 20)
RESPONSE_CAP = 65_536
PER_READ_S = 1.0
TOTAL_S = 2.0
DRIP_EVERY_S = 0.2  # far below the per-read timeout


@dataclass
class Served:
    url: str
    bytes_sent: int = 0
    finished: threading.Event = threading.Event()


@contextmanager
def raw_server(answer: Callable[[socket.socket, Served], None]) -> Iterator[Served]:
    """Reads the request head and body, then lets ``answer`` write what it likes."""
    served = Served(url="", finished=threading.Event())

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            while len(body) < length:
                body += sock.recv(65536)
            try:
                answer(sock, served)
            except OSError:  # the tracker hung up: that is the point
                pass
            finally:
                served.finished.set()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def huge_answer(sock: socket.socket, served: Served) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % HUGE_BYTES)
    while served.bytes_sent < HUGE_BYTES:
        sock.sendall(CHUNK)
        served.bytes_sent += len(CHUNK)


def drip(data: bytes) -> Callable[[socket.socket, Served], None]:
    def answer(sock: socket.socket, served: Served) -> None:
        for i in range(len(data)):
            sock.sendall(data[i : i + 1])
            served.bytes_sent += 1
            time.sleep(DRIP_EVERY_S)

    return answer


def headers_then_drip(sock: socket.socket, served: Served) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    drip(b"y" * 100)(sock, served)


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[TrackerService]:
    settings = TrackerSettings(
        database_url=f"sqlite:///{tmp_path / 't.db'}",
        webhook_allow_hosts="127.0.0.1/32",
        webhook_timeout_seconds=PER_READ_S,
        webhook_total_seconds=TOTAL_S,
        webhook_max_response_bytes=RESPONSE_CAP,
    )
    with running(settings) as service:
        yield service


def one_delivery(tracker: TrackerService, url: str) -> tuple[float, DeliveryAttemptRow]:
    """Subscribe ``url`` to one commitment, make it change, deliver; seconds taken."""
    with tracker.sessions.begin() as s:
        s.add(
            SubscriptionRow(
                name="r",
                scope="commitment",
                value="t25-gdp",
                webhook_url=url,
                secret="k",
                feed_token="f",
                created_at=utc_now(),
            )  # fmt: skip
        )
    report_unfinished_after_deadline(tracker)  # evidence the pass turns overdue
    tracker.reevaluate(as_of=date(2026, 1, 15))
    started = time.monotonic()
    assert deliver_due(tracker.sessions, tracker.settings, datetime.now(UTC)) == 1
    took = time.monotonic() - started
    with tracker.sessions() as s:
        return took, s.scalars(select(DeliveryAttemptRow)).one()


@pytest.mark.slow
def test_a_huge_answer_is_cut_at_the_cap_with_bounded_memory(tracker: TrackerService) -> None:
    with raw_server(huge_answer) as served:
        tracemalloc.start()
        try:
            took, attempt = one_delivery(tracker, served.url)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert served.finished.wait(10)
    print(f"huge answer: server sent {served.bytes_sent} bytes, peak {peak} B traced, {took:.2f}s")
    assert attempt.http_status == 200 and attempt.error is None  # the receiver said 200
    # The server stopped because the tracker hung up, far before 1.5 GB: what it
    # managed to send is the cap plus what the sockets' buffers swallowed.
    assert served.bytes_sent < 64 * len(CHUNK), served.bytes_sent
    assert peak < 8 * 1024 * 1024, peak
    assert took < TOTAL_S


@pytest.mark.slow
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", id="dripped headers"),
        pytest.param(None, id="dripped body"),
    ],
)
def test_a_dripping_receiver_is_cut_by_the_total_time_cap(
    tracker: TrackerService, answer: bytes | None
) -> None:
    writer = drip(answer) if answer is not None else headers_then_drip

    with raw_server(writer) as served:
        took, attempt = one_delivery(tracker, served.url)
    print(f"dripping receiver: cut after {took:.2f}s, {served.bytes_sent} bytes dripped")
    # Each byte came within the per-read timeout; only the total stopped it.
    assert TOTAL_S - 0.3 < took < TOTAL_S + 0.5, took
    assert (attempt.http_status, attempt.error) == (None, "timed out")
