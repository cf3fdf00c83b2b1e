"""FastAPI dependencies shared by the tracker's routers: a database session per
request, and the bearer token that guards auditors' write endpoints."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

from fastapi import Header, HTTPException
from sqlalchemy.orm import Session

from services.tracker.service import TrackerService


def session_dependency(service: TrackerService) -> Callable[[], Iterator[Session]]:
    def session() -> Iterator[Session]:
        with service.sessions() as s:
            yield s

    return session


def token_dependency(service: TrackerService) -> Callable[[str], None]:
    def require_token(authorization: str = Header("", description="Bearer token")) -> None:
        token = service.settings.api_token
        if not token:
            raise HTTPException(403, "write endpoints are disabled: set LUQIAO_API_TOKEN")
        # Constant-time comparison: the token must not leak through response timing.
        # As bytes: the header may hold any octet (Starlette decodes it as Latin-1),
        # and compare_digest refuses non-ASCII str with a TypeError (a 500).
        given = authorization.encode("latin-1", "replace")
        if not secrets.compare_digest(given, f"Bearer {token}".encode()):
            raise HTTPException(401, "missing or wrong bearer token")

    return require_token
