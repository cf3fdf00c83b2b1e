"""Which content coding a client accepts, from its `Accept-Encoding` (RFC 9110 §12.5.3).

Only gzip is offered (Prometheus asks for it on every scrape); a client that names
it with `q=0`, or names nothing that covers it, gets the identity body.
"""

from __future__ import annotations


def _weight(params: list[str]) -> float:
    """The q-value among a coding's parameters (1 when absent; 0 when unreadable, so
    a malformed value never turns on a coding the client may not decode)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether a gzip body may be sent: `gzip` (or its alias `x-gzip`) with a
    non-zero weight, or `*` with one when gzip is not named otherwise."""
    if not accept_encoding:
        return False
    named: float | None = None
    anything: float | None = None
    for item in accept_encoding.split(","):
        coding, *params = item.split(";")
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            named = max(named or 0.0, _weight(params))
        elif coding == "*":
            anything = _weight(params)
    if named is not None:
        return named > 0
    return anything is not None and anything > 0
