"""The HTTP access log: one structured line per request (method, path, query, status,
duration, client), recorded by an ASGI middleware and written by a thread of its own.

Why not uvicorn's access log: py-spy on `serve tracker` under 50 clients put 9-15 % of
the process's busy samples in it (a `LogRecord` per request, uvicorn's formatter
copying it, then a write and a flush per line, all on the event loop), a quarter to
40 % of the rate of the cheapest answers. Here the event loop only appends a tuple to
a deque (~0.1 µs); the writer thread wakes every `interval` seconds, formats what
arrived and writes it with one write and one flush. Not the standard library's
`QueueHandler`: it would build a `LogRecord` per request and its handler writes and
flushes each line on its own, which is the cost this removes.

Bounded: at most `capacity` lines wait; beyond that a line is counted, not kept, and
the count (a floor) is written as its own line (`http_access_log_dropped`), so a stalled stdout
never grows the process's memory and never stalls a request.

The line follows `LUQIAO_LOG_FORMAT`: JSON with the keys structlog's lines have
(`event`, `level`, `timestamp`), or `key=value` after the same head as the console
logs; values that could break a line (spaces, quotes, control characters, from a
client's path) are quoted with JSON escapes.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENT = "http_request"
DROPPED = "http_access_log_dropped"
# One request as the event loop records it: wall time at the end, method, path,
# query, status (0 when no answer was started), duration in seconds, client.
Entry = tuple[float, str, str, str, int, float, str]

_SAFE = re.compile(r"[A-Za-z0-9\-._~/:%+,;@!$&()*\[\]]+")


def _console_value(value: str) -> str:
    """The value bare when it cannot split or fake a `key=value` pair, else quoted."""
    return value if _SAFE.fullmatch(value) else _JSON.encode(value)


class _Timestamps:
    """As structlog's `TimeStamper(fmt="iso")` writes them (UTC, microseconds, `Z`),
    with the date and time of the current second formatted once per second:
    `datetime.fromtimestamp(...).strftime(...)` took ~10 µs a line, most of a line's cost."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, at: float) -> str:
        second = int(at)
        if second != self._second:
            self._second, self._prefix = (
                second,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)),
            )
        return f"{self._prefix}.{int((at - second) * 1_000_000):06d}Z"


_timestamp = _Timestamps()  # used by the writer thread only
_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder: `json.dumps` builds one per call


def _fields(entry: Entry) -> dict[str, object]:
    _, method, path, query, status, seconds, client = entry
    fields: dict[str, object] = {"method": method, "path": path}
    if query:
        fields["query"] = query
    fields.update(status=status, duration_ms=round(seconds * 1000, 2), client=client)
    return fields


def json_line(entry: Entry) -> str:
    fields = _fields(entry)
    fields.update(event=EVENT, level="info", timestamp=_timestamp(entry[0]))
    return _JSON.encode(fields)


def console_line(entry: Entry) -> str:
    at, method, path, query, status, seconds, client = entry
    shown = f" query={_console_value(query)}" if query else ""
    return (
        f"{_timestamp(at)} [info     ] {EVENT} method={_console_value(method)} "
        f"path={_console_value(path)}{shown} status={status} "
        f"duration_ms={round(seconds * 1000, 2)} client={_console_value(client)}"
    )


def line_format(log_format: str) -> Callable[[Entry], str]:
    """The line for `LUQIAO_LOG_FORMAT` (json, else console), as the other logs."""
    return json_line if log_format == "json" else console_line


def _stdout() -> TextIO:
    """Whatever `sys.stdout` is when a batch is written (uvicorn's access log wrote there)."""
    return sys.stdout


class AccessLogWriter:
    """The lines waiting to be written, and the thread that writes them."""

    def __init__(
        self,
        line: Callable[[Entry], str],
        *,
        stream: Callable[[], TextIO] = _stdout,
        interval: float = 0.1,
        capacity: int = 100_000,
    ) -> None:
        self.line = line
        self.stream = stream
        self.interval = interval
        self.capacity = capacity
        self._waiting: deque[Entry] = deque()
        # Incremented by the event loop, read and reset by the writer: an increment
        # that falls between the two may be lost, so the count is a floor.
        self._dropped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="http-access-log", daemon=True)

    def record(self, entry: Entry) -> None:
        """From the event loop: keep the line for the writer (or count it if full)."""
        if len(self._waiting) < self.capacity:
            self._waiting.append(entry)
        else:
            self._dropped += 1

    def start(self) -> AccessLogWriter:
        self._thread.start()
        return self

    def close(self) -> None:
        """Write what is waiting and stop the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.write_waiting()

    def __enter__(self) -> AccessLogWriter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.write_waiting()

    def _dropped_line(self, dropped: int) -> str:
        at = _timestamp(time.time())
        if self.line is json_line:
            fields = {"lines": dropped, "event": DROPPED, "level": "warning", "timestamp": at}
            return json.dumps(fields)
        return f"{at} [warning  ] {DROPPED} lines={dropped}"

    def write_waiting(self) -> int:
        """Format and write every line waiting, in one write; the number written."""
        lines = []
        waiting = self._waiting
        while waiting:
            lines.append(self.line(waiting.popleft()))
        dropped, self._dropped = self._dropped, 0
        if dropped:
            lines.append(self._dropped_line(dropped))
        if lines:
            try:
                out = self.stream()
                out.write("\n".join(lines) + "\n")
                out.flush()
            except (OSError, ValueError):  # a closed or broken stdout: never kill the thread
                pass
        return len(lines)


class AccessLog:
    """ASGI middleware: one entry per HTTP request once its answer is sent (or failed),
    with the time from the request's arrival here to that point."""

    def __init__(self, app: ASGIApp, writer: AccessLogWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        except BaseException:
            status = status or 500  # as the server answers an app that raised first
            raise
        finally:
            client = scope.get("client")
            self.writer.record(
                (
                    time.time(),
                    scope["method"],
                    scope["path"],  # uvicorn's scope path includes any root path
                    scope["query_string"].decode("latin-1"),
                    status,
                    time.perf_counter() - started,
                    f"{client[0]}:{client[1]}" if client else "-",
                )
            )


@contextmanager
def serving_with_access_log(app: ASGIApp, *, enabled: bool, log_format: str) -> Iterator[ASGIApp]:
    """`app` wrapped in the access log when `LUQIAO_HTTP_ACCESS_LOG` is on (its writer
    running meanwhile, and the lines still waiting written at the end), else `app`.
    Run it under uvicorn with uvicorn's own access log off."""
    if not enabled:
        yield app
        return
    with AccessLogWriter(line_format(log_format)) as writer:
        yield AccessLog(app, writer)
