"""Answers that carry an ETag, so a poller that sends `If-None-Match` gets a 304
instead of the same body again."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def etag_of(body: bytes) -> str:
    """A strong validator for these exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` value names this ETag: one tag or a comma-separated
    list, weak (``W/``) or strong, or ``*`` (RFC 9110 §13.1.2 compares weakly here)."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def answer_with_etag(
    if_none_match: str | None,
    body: bytes,
    etag: str,
    media_type: str,
    *,
    vary: str | None = None,
    content_encoding: str | None = None,
) -> Response:
    """200 with the body, or 304 without it when the client already holds these bytes.
    `vary` goes on both (a 304 carries the headers its 200 would, RFC 9110 §15.4.5);
    `content_encoding` (the body's coding, e.g. gzip) on the 200 only."""
    headers = {"ETag": etag}
    if vary is not None:
        headers["Vary"] = vary
    if matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    if content_encoding is not None:
        headers["Content-Encoding"] = content_encoding
    return Response(body, media_type=media_type, headers=headers)


def cached_response(request: Request, body: bytes, etag: str, media_type: str) -> Response:
    return answer_with_etag(request.headers.get("if-none-match"), body, etag, media_type)


def etag_response(request: Request, payload: BaseModel) -> Response:
    body = payload.model_dump_json().encode()
    return cached_response(request, body, etag_of(body), "application/json")


NOT_MODIFIED: dict[int | str, dict[str, str]] = {
    304: {"description": "Not modified since the ETag sent in If-None-Match"}
}
