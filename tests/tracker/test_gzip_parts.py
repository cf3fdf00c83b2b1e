"""A gzip member from parts compressed apart (gzip_parts.py): decoded by every reader
as the parts' bytes joined, as one member (httpx and curl read only the first), and
the tail's deflate stream reused unchanged under any head."""

from __future__ import annotations

import gzip
import random
import zlib

import httpx
import pytest

from services.tracker.gzip_parts import deflate_tail, gzip_member


def _exposition(lines: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return "".join(
        f'luqiao_commitment_evidence_count{{commitment_id="c{i}",report="r"}} {rng.random()}\n'
        for i in range(lines)
    ).encode()


CASES = [
    (b"", b""),
    (b"", _exposition(10, 1)),
    (_exposition(40, 2), b""),
    (_exposition(40, 3), _exposition(5_000, 4)),  # ~390 KB: many deflate blocks
    (bytes(range(256)) * 50, bytes(range(255, -1, -1)) * 500),  # incompressible-ish
]


@pytest.mark.parametrize(("head", "tail"), CASES)
def test_the_member_decodes_to_head_then_tail(head: bytes, tail: bytes) -> None:
    member = gzip_member(head, deflate_tail(tail))
    assert gzip.decompress(member) == head + tail
    single = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert single.decompress(member) == head + tail
    assert single.eof and single.unused_data == b""


@pytest.mark.parametrize(("head", "tail"), CASES)
def test_httpx_decodes_it_as_a_content_coding(head: bytes, tail: bytes) -> None:
    """httpx's own decoder, as a client of `Content-Encoding: gzip` reads a body."""
    member = gzip_member(head, deflate_tail(tail))
    response = httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=member)
    assert response.read() == head + tail


def test_one_tail_serves_many_heads() -> None:
    tail = deflate_tail(_exposition(2_000, 5))
    for seed in range(5):
        head = _exposition(30 + seed, 10 + seed)
        member = gzip_member(head, tail)
        assert tail.deflated in member  # reused as is, not compressed again
        assert gzip.decompress(member) == head + tail.data


def test_the_trailer_holds_the_joined_crc_and_length() -> None:
    head, tail = _exposition(30, 6), _exposition(300, 7)
    member = gzip_member(head, deflate_tail(tail))
    assert member[:3] == b"\x1f\x8b\x08"
    assert int.from_bytes(member[-8:-4], "little") == zlib.crc32(head + tail)
    assert int.from_bytes(member[-4:], "little") == len(head + tail)
    corrupt = member[:-8] + (zlib.crc32(head + tail) ^ 1).to_bytes(4, "little") + member[-4:]
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(corrupt)
