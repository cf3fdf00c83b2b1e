"""Retries with exponential backoff for 5xx answers and timeouts.

Scrapy's RetryMiddleware re-queues a failed request at once; against a small
government server that is already struggling, waiting longer before each new
attempt (base, 2x base, 4x base...) is the polite thing to do.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that sleeps ``base * 2**attempt`` seconds before each retry."""

    async def _backoff(self, retry: Request | None) -> Request | None:
        if retry is None:
            return None
        base = self.crawler.settings.getfloat("LUQIAO_RETRY_BACKOFF_BASE", 2.0)
        attempt = max(int(retry.meta.get("retry_times", 1)) - 1, 0)
        delay = base * (2**attempt)
        if delay > 0:
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return retry

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        reason = f"HTTP {response.status}"
        return await self._backoff(self._retry(request, reason)) or response

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get(
            "dont_retry", False
        ):
            return await self._backoff(self._retry(request, exception))
        return None
