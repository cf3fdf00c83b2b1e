"""Tracker settings (env prefix LUQIAO_)."""

from __future__ import annotations

from services.settings import BusSettings


class TrackerSettings(BusSettings):
    tracker_group: str = "luqiao-tracker"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # One log line per HTTP request (uvicorn's access log). It costs about a third of
    # the rate of a cheap endpoint (measured: a trivial app 7,200-8,000 requests/s
    # without, 5,100-5,200 with); a busy deployment behind a proxy that logs may
    # turn it off.
    http_access_log: bool = True
    # Evidence below this confidence waits in the review queue.
    review_threshold: float = 0.6
    # Progress reported, then no new evidence for this many days → a note (status stays).
    stall_days: int = 90
    # Bearer token for auditors' write endpoints; empty disables them.
    api_token: str = ""
    webhook_max_attempts: int = 5
    webhook_disable_after: int = 10
    # Each connect, read or write of a delivery; the whole attempt ends after the total.
    webhook_timeout_seconds: float = 5.0
    webhook_total_seconds: float = 15.0
    # Read at most this much of a receiver's answer (only its status matters).
    webhook_max_response_bytes: int = 65_536
    # Non-public hosts and CIDRs webhooks may reach (comma separated), for tests and
    # private deployments; everything else must resolve to public addresses only.
    webhook_allow_hosts: str = ""
    # PEM bundle of CAs that webhook receivers' certificates are checked against;
    # empty: the public ones (certifi). For receivers behind a private CA.
    webhook_ca_bundle: str = ""
    # First retry after this many seconds, doubling each time.
    webhook_backoff_seconds: float = 30.0
    reevaluate_hours: float = 24.0
    # The list and detail API and /metrics reuse the ledger's version read this long
    # before asking the database again; this process's own writes are seen at once,
    # another replica's within this time. 0: ask on every request.
    read_model_max_age_seconds: float = 0.25
    # At most this many subscriptions; creating one more answers 409.
    max_subscriptions: int = 1000
    # Request bodies larger than this answer 413 before any handler reads them.
    api_max_body_bytes: int = 65_536
    # The crawler's WARC archive (the crawler's own variable, LUQIAO_CRAWLER_WARC_DIR):
    # the tracker serves archived copies of evidence pages from it, read-only.
    crawler_warc_dir: str = "./warc"
