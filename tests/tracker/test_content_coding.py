"""Reading `Accept-Encoding` (api/content_coding.py): gzip only when the client's
header allows it, by name or by `*`, never when it weighs it 0 or garbles the weight."""

from __future__ import annotations

import pytest

from services.tracker.api.content_coding import accepts_gzip


@pytest.mark.parametrize(
    "header",
    [
        "gzip",  # Prometheus
        "gzip, deflate",  # httpx
        "deflate, gzip;q=1.0, *;q=0.5",  # curl --compressed style lists
        "GZIP",
        " gzip ; q=0.001",
        "x-gzip",
        "*",
        "br, *;q=0.1",
        "gzip;q=0, x-gzip;q=0.5",  # the best weight of gzip's names
    ],
)
def test_gzip_allowed(header: str) -> None:
    assert accepts_gzip(header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "identity",
        "deflate, br",
        "gzip;q=0",
        "gzip;q=0.0, *",  # named with 0: `*` does not bring it back
        "*;q=0",
        "gzip;q=abc",  # unreadable weight: not a yes
        "gzip;q=2",  # out of range
        "gzipx",
    ],
)
def test_gzip_not_allowed(header: str | None) -> None:
    assert not accepts_gzip(header)
