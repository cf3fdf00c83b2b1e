"""A real HTTP endpoint on 127.0.0.1 that records webhook POSTs, like a newsroom's."""

from __future__ import annotations

import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200) and keeps what it got."""

    url: str
    script: deque[int] = field(default_factory=deque)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    # Sent as Location with a 3xx status, to see that redirects are not followed.
    location: str | None = None


@contextmanager
def running_receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """On a free loopback port; with ``tls`` (a server context) it speaks https."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            rec = box[0]
            rec.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = rec.script.popleft() if rec.script else 200
            self.send_response(status)
            if 300 <= status < 400 and rec.location:
                self.send_header("Location", rec.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    box.append(Receiver(f"{scheme}://127.0.0.1:{server.server_port}/hook"))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
