"""Which webhook targets the tracker may send to: public http(s) hosts only.

A subscription names a URL and the tracker POSTs to it from inside the deployment,
so without a rule a token holder could make the tracker call the cloud metadata
service, the database port or anything else on the private network (SSRF). The
rule: the scheme is http or https, the host is a name or a canonical IP literal
(no ``0xa9fea9fe``, ``2852039166`` or ``0251.0376.0251.0376``, which resolvers read
as 169.254.169.254), and every address the host resolves to is public. IPv6 forms
that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged by
that address. The check runs when the subscription is created and again when each
delivery connects (see `notifications.transport`), so a DNS answer that changes in
between cannot lead the tracker inside.

An allow-list (``LUQIAO_WEBHOOK_ALLOW_HOSTS``: host names and CIDRs, comma
separated) lets tests and private deployments reach receivers on their own network.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int, float], list[IPAddress]]

# What the API and the delivery log say about a refused target: one sentence for
# every reason, so a token holder cannot map the private network through it.
REFUSED_MESSAGE = (
    "webhook_url must be an http(s) URL whose host resolves only to public internet addresses"
)

# Special-purpose ranges (RFC 6890 and successors) besides what `ipaddress` flags;
# Python 3.11 calls some of them global (192.0.0.0/24, 2002::/16).
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "::/96",  # IPv4-compatible (deprecated), and :: and ::1
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
# Names that never mean a public host (RFC 6761, cloud metadata); the allow-list wins.
_NOT_PUBLIC_NAMES = ("localhost", "metadata", "metadata.google.internal")
_NOT_PUBLIC_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)


class TargetRefused(ValueError):
    """The target is not allowed; ``str(exc)`` is the detail for the server log only."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks a deployment trusts although they are not public."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """``"127.0.0.1/32, ::1, hooks.corp.example"``; a bad CIDR is a settings error."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                if "/" in item:
                    raise ValueError(f"not a CIDR in the webhook allow-list: {item!r}") from None
                hosts.add(item.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in net for net in self.networks if net.version == address.version)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to (6to4 relay, Teredo client and server)."""
    found: list[ipaddress.IPv4Address] = []
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def is_public_address(address: IPAddress) -> bool:
    """Routable on the public internet, and so is any IPv4 address it carries."""
    if any(address in net for net in _NOT_PUBLIC if net.version == address.version):
        return False
    flags = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
        not address.is_global,
    )
    if any(flags):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return all(is_public_address(v4) for v4 in embedded_ipv4(address))
    return True


def parse_target(url: str) -> Target:
    """Scheme, host and port of a webhook URL, refusing hosts resolvers read oddly."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"unparsable URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused(f"scheme {scheme!r} is not http(s)")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("no host")
    if "%" in host:
        raise TargetRefused("IPv6 zone identifiers are not allowed")
    if ":" not in host and _NUMERIC_HOST.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            if _inet_aton_accepts(host) or host.replace(".", "").isdigit():
                raise TargetRefused(f"numeric-encoded host {host!r}") from None
    return Target(scheme, host, port or (443 if scheme == "https" else 80))


def _inet_aton_accepts(host: str) -> bool:
    """True for the legacy forms (hex, octal, fewer than four parts) of an IPv4 address."""
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


_resolver_pool = concurrent.futures.ThreadPoolExecutor(
    max_workers=4, thread_name_prefix="webhook-dns"
)


def resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """Every address the system resolver gives for ``host``, within ``timeout`` seconds
    (getaddrinfo itself has no timeout, so it runs on a helper thread)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    future = _resolver_pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(timeout, 0.001))
    except concurrent.futures.TimeoutError:
        raise TargetRefused(f"resolving {host!r} took over {timeout:.1f}s") from None
    except (OSError, UnicodeError) as exc:  # UnicodeError: the name is no valid IDNA
        raise TargetRefused(f"cannot resolve {host!r}: {exc}") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused(f"{host!r} resolves to nothing")
    return addresses


def check_name(host: str) -> None:
    """Refuse names that mean the local machine or a cloud metadata service, whatever
    the resolver says about them (it may say nothing yet)."""
    name = host.lower().rstrip(".")
    if literal_address(name) is None and (
        name in _NOT_PUBLIC_NAMES or name.endswith(_NOT_PUBLIC_SUFFIXES)
    ):
        raise TargetRefused(f"{host!r} is a local or metadata name")


def allowed_addresses(
    host: str, addresses: Sequence[IPAddress], allow: AllowList
) -> list[IPAddress]:
    """``addresses`` if every one may be contacted for ``host``, else `TargetRefused`.

    All must pass, not just one: a resolver answering with a public and a private
    address would otherwise let the connection land on the private one.
    """
    if allow.allows_host(host):
        return list(addresses)
    check_name(host)
    bad = [a for a in addresses if not (is_public_address(a) or allow.allows_address(a))]
    if bad:
        raise TargetRefused(f"{host!r} resolves to non-public {', '.join(map(str, bad))}")
    return list(addresses)


def check_target(
    url: str, allow: AllowList, *, resolver: Resolver = resolve, timeout: float = 5.0
) -> list[IPAddress]:
    """The addresses ``url`` may be delivered to, or `TargetRefused` (at creation)."""
    target = parse_target(url)
    if allow.allows_host(target.host):
        return []
    check_name(target.host)
    return allowed_addresses(target.host, resolver(target.host, target.port, timeout), allow)
