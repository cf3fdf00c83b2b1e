"""422 answers that can always be written, whatever the input was.

FastAPI echoes the offending input in a validation error. JSON may carry a lone
surrogate (``"\\ud800"``), which Python decodes to a str that cannot be encoded as
UTF-8, so the default handler failed with a 500 while answering a 422. Here such
characters are replaced by U+FFFD in the answer; the status and message stay.
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    text = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=False)
    body = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")
    return Response(body, status_code=422, media_type="application/json")


def answer_validation_errors_safely(api: FastAPI) -> None:
    api.add_exception_handler(RequestValidationError, validation_error)
