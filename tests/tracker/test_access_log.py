"""The HTTP access log (api/access_log.py): one structured line per request, written
off the event loop, through a real uvicorn; lines a client's path cannot break; a
bounded backlog whose overflow is counted, not kept."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from services.tracker.api.access_log import (
    AccessLog,
    AccessLogWriter,
    Entry,
    console_line,
    json_line,
    serving_with_access_log,
)
from tests.live_server import serving


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello", status_code=int(request.query_params.get("status", 200)))


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("boom")


APP = Starlette(routes=[Route("/hello", hello), Route("/boom", boom)])


@pytest.fixture
def logged_json() -> Iterator[tuple[str, io.StringIO, AccessLogWriter]]:
    out = io.StringIO()
    # The thread never wakes during a test: the test writes, so lines keep their order.
    writer = AccessLogWriter(json_line, stream=lambda: out, interval=600)
    with writer, serving(AccessLog(APP, writer)) as base:
        yield base, out, writer


def _lines(out: io.StringIO, writer: AccessLogWriter) -> list[dict[str, object]]:
    writer.write_waiting()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_json_line_per_request_with_what_an_operator_needs(
    logged_json: tuple[str, io.StringIO, AccessLogWriter],
) -> None:
    base, out, writer = logged_json
    with httpx.Client(base_url=base) as client:
        assert client.get("/hello?status=201&x=1").status_code == 201
        assert client.get("/nowhere").status_code == 404
        port = client.get("/hello").extensions["network_stream"].get_extra_info("client_addr")[1]
    lines = _lines(out, writer)
    assert [(ln["method"], ln["path"], ln["status"]) for ln in lines] == [
        ("GET", "/hello", 201),
        ("GET", "/nowhere", 404),
        ("GET", "/hello", 200),
    ]
    first = lines[0]
    assert first["query"] == "status=201&x=1" and "query" not in lines[1]
    assert first["event"] == "http_request" and first["level"] == "info"
    assert str(first["timestamp"]).endswith("Z")
    assert isinstance(first["duration_ms"], float) and 0 <= first["duration_ms"] < 10_000
    assert lines[2]["client"] == f"127.0.0.1:{port}"


def test_the_writer_thread_writes_without_being_asked() -> None:
    out = io.StringIO()
    writer = AccessLogWriter(json_line, stream=lambda: out, interval=0.05)
    with writer, serving(AccessLog(APP, writer)) as base:
        httpx.get(base + "/hello")
        deadline = time.monotonic() + 10
        while not out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert json.loads(out.getvalue())["path"] == "/hello"


def test_an_app_that_raises_is_logged_as_500(
    logged_json: tuple[str, io.StringIO, AccessLogWriter],
) -> None:
    base, out, writer = logged_json
    assert httpx.get(base + "/boom").status_code == 500
    assert [(ln["path"], ln["status"]) for ln in _lines(out, writer)] == [("/boom", 500)]


ENTRY: Entry = (
    1_764_300_000.25,
    "GET",
    "/api/commitments",
    "limit=50",
    200,
    0.00123,
    "10.0.0.7:4242",
)


def test_console_line_reads_as_key_value() -> None:
    assert console_line(ENTRY) == (
        "2025-11-28T03:20:00.250000Z [info     ] http_request method=GET "
        'path=/api/commitments query="limit=50" status=200 duration_ms=1.23 client=10.0.0.7:4242'
    )


@pytest.mark.parametrize("path", ["/a b", '/a"b', "/a\nfake=1", "/a=b", "/科创", ""])
def test_a_client_path_cannot_break_or_fake_a_line(path: str) -> None:
    entry: Entry = (ENTRY[0], "GET", path, "", 404, 0.001, "-")
    line = console_line(entry)
    assert "\n" not in line
    quoted = line.split(" path=", 1)[1].split(" status=", 1)[0]
    assert json.loads(quoted) == path
    assert json.loads(json_line(entry))["path"] == path


def test_the_backlog_is_bounded_and_its_overflow_counted() -> None:
    out = io.StringIO()
    writer = AccessLogWriter(json_line, stream=lambda: out, capacity=2)
    for n in range(5):
        writer.record((ENTRY[0], "GET", f"/{n}", "", 200, 0.001, "-"))
    assert writer.write_waiting() == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [ln.get("path") for ln in lines[:2]] == ["/0", "/1"]
    assert lines[2]["event"] == "http_access_log_dropped" and lines[2]["lines"] == 3
    assert writer.write_waiting() == 0  # the count was written once


def test_a_broken_stdout_does_not_stop_the_writer() -> None:
    closed = io.StringIO()
    closed.close()
    writer = AccessLogWriter(json_line, stream=lambda: closed)
    writer.record(ENTRY)
    assert writer.write_waiting() == 1  # formatted, the write failed quietly


@pytest.mark.parametrize("enabled", [True, False])
def test_off_means_the_app_itself(enabled: bool) -> None:
    with serving_with_access_log(APP, enabled=enabled, log_format="json") as served:
        assert (served is APP) is not enabled
        assert isinstance(served, AccessLog) is enabled
