"""Answers that carry an ETag, so a poller that sends `If-None-Match` gets a 304
instead of the same body again."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def etag_response(request: Request, payload: BaseModel) -> Response:
    body = payload.model_dump_json().encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


NOT_MODIFIED: dict[int | str, dict[str, str]] = {
    304: {"description": "Not modified since the ETag sent in If-None-Match"}
}
