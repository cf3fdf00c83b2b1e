"""FastAPI dependencies shared by the tracker's routers, as `Annotated` aliases
that read what `api.main.create_api` put on `app.state`: the service, a database
session per request, and the bearer token that guards auditors' write endpoints.

The ones that only read `app.state` are ``async``: FastAPI runs a plain ``def``
dependency on the thread pool, a thread hop per request (py-spy: 14 % of the
tracker's samples while serving the list at 50 clients)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.orm import Session

from services.tracker.api.summaries import CommitmentSummaries
from services.tracker.service import TrackerService


async def get_service(request: Request) -> TrackerService:
    service: TrackerService = request.app.state.service
    return service


ServiceDep = Annotated[TrackerService, Depends(get_service)]


def get_session(service: ServiceDep) -> Iterator[Session]:
    with service.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_summaries(request: Request) -> CommitmentSummaries:
    summaries: CommitmentSummaries = request.app.state.summaries
    return summaries


SummariesDep = Annotated[CommitmentSummaries, Depends(get_summaries)]


def require_token(
    service: ServiceDep,
    authorization: Annotated[str, Header(description="Bearer token")] = "",
) -> None:
    token = service.settings.api_token
    if not token:
        raise HTTPException(403, "write endpoints are disabled: set LUQIAO_API_TOKEN")
    # Constant-time comparison: the token must not leak through response timing.
    # As bytes: the header may hold any octet (Starlette decodes it as Latin-1),
    # and compare_digest refuses non-ASCII str with a TypeError (a 500).
    given = authorization.encode("latin-1", "replace")
    if not secrets.compare_digest(given, f"Bearer {token}".encode()):
        raise HTTPException(401, "missing or wrong bearer token")


# For `dependencies=[AuditorToken]` on the write endpoints.
AuditorToken = Depends(require_token)
