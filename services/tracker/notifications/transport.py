"""An httpx client for webhook deliveries that connects only where it was allowed to,
and never for longer than a total time.

The check of `notifications.targets` runs inside the connection itself: the network
backend resolves the host once, refuses it unless every address is allowed, and
opens the socket to one of exactly those addresses. There is no second lookup an
attacker's DNS could answer differently (rebinding), and since the URL is not
rewritten, the Host header, TLS SNI and certificate check still use the name.

Every socket operation's timeout is cut to what is left of the delivery's total
time, so a receiver that drips its headers or body a byte at a time is stopped at
the deadline, not merely at each read's timeout.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpcore
import httpx

from services.tracker.notifications.targets import AllowList, Resolver, allowed_addresses, resolve


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def _capped(timeout: float | None, deadline: float) -> float:
    left = _remaining(deadline)
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by ``deadline`` (monotonic)."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit = _capped(timeout, self._deadline)
        if limit <= 0:
            raise httpcore.ReadTimeout("total delivery time exceeded")
        return self._inner.read(max_bytes, limit)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        limit = _capped(timeout, self._deadline)
        if limit <= 0:
            raise httpcore.WriteTimeout("total delivery time exceeded")
        self._inner.write(buffer, limit)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        limit = _capped(timeout, self._deadline)
        if limit <= 0:
            raise httpcore.ConnectTimeout("total delivery time exceeded")
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, limit), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks and connects in one step, to an address it checked."""

    def __init__(self, allow: AllowList, deadline: float, resolver: Resolver = resolve) -> None:
        self.allow = allow
        self.deadline = deadline
        self.resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = allowed_addresses(
            host, self.resolver(host, port, _capped(timeout, self.deadline)), self.allow
        )
        last_error: Exception | None = None
        for address in addresses:
            limit = _capped(timeout, self.deadline)
            if limit <= 0:
                raise httpcore.ConnectTimeout("total delivery time exceeded")
            try:
                stream = super().connect_tcp(
                    str(address), port, limit, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return DeadlineStream(stream, self.deadline)
        assert last_error is not None  # allowed_addresses never returns an empty list
        raise last_error


def guarded_client(
    allow: AllowList,
    *,
    timeout_seconds: float,
    total_seconds: float,
    ca_bundle: str = "",
    resolver: Resolver = resolve,
) -> httpx.Client:
    """A client for one delivery: checked connections, no redirects, no proxies from
    the environment, and ``total_seconds`` from now as the hard end. Certificates are
    checked against ``ca_bundle`` (a PEM file) or, when empty, the public CAs."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no public hook for the network backend; the pool is rebuilt with it,
    # with the same TLS context httpx made.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=(
            ssl.create_default_context(cafile=ca_bundle)
            if ca_bundle
            else httpx.create_ssl_context(trust_env=False)
        ),
        max_connections=1,
        network_backend=GuardedBackend(allow, time.monotonic() + total_seconds, resolver),
    )
    return httpx.Client(
        transport=transport,
        timeout=timeout_seconds,
        follow_redirects=False,
        trust_env=False,
    )
