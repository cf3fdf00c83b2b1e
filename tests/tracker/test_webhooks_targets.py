"""Webhook targets (SSRF): hostile URLs refused at creation through the API with one
sentence that tells nothing of the private network, refused again at connect time
(a row stored before the rule, a DNS answer that changes after creation), the
connection pinned to the checked address with the Host header kept, and redirects
not followed. Receivers are real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import json
import ssl
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.tracker.ledger.models import DeliveryAttemptRow, SubscriptionRow
from services.tracker.notifications.outbox import utc_now
from services.tracker.notifications.targets import (
    REFUSED_MESSAGE,
    AllowList,
    IPAddress,
    TargetRefused,
    check_target,
    is_public_address,
)
from services.tracker.notifications.webhooks import deliver_due
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.tracker.evidence_factory import report_unfinished_after_deadline
from tests.tracker.subscribing import subscribing_tracker, subscriptions_api
from tests.webhook_receiver import Receiver, running_receiver

TOKEN = "auditor-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOSTILE: list[dict[str, str]] = json.loads(
    (Path(__file__).parents[1] / "data" / "notifications" / "hostile_webhook_urls.json").read_text()
)
PUBLIC = ipaddress.ip_address("93.184.216.34")
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def make_tracker(tmp_path: Path, allow: str = "") -> TrackerService:
    settings = TrackerSettings(
        database_url=f"sqlite:///{tmp_path / 't.db'}",
        api_token=TOKEN,
        webhook_allow_hosts=allow,
        webhook_timeout_seconds=2.0,
        webhook_total_seconds=4.0,
    )
    return subscribing_tracker(settings)


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[TrackerService]:
    service = make_tracker(tmp_path)
    yield service
    service.engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rec:
        yield rec


def stored_subscription(tracker: TrackerService, url: str) -> int:
    """A row as an older version (or a direct database write) may have left it."""
    with tracker.sessions.begin() as s:
        sub = SubscriptionRow(
            name="old", scope="commitment", value="t25-gdp", webhook_url=url, secret="k",
            feed_token=f"feed-{url}", created_at=utc_now(),
        )  # fmt: skip
        s.add(sub)
        s.flush()
        return sub.id


def attempts(tracker: TrackerService) -> list[tuple[int | None, str | None]]:
    with tracker.sessions() as s:
        rows = s.scalars(select(DeliveryAttemptRow).order_by(DeliveryAttemptRow.id)).all()
        return [(a.http_status, a.error) for a in rows]


@pytest.mark.parametrize("case", HOSTILE, ids=[c["why"] for c in HOSTILE])
def test_a_hostile_target_is_refused_at_creation(tracker: TrackerService, case: Any) -> None:
    with TestClient(subscriptions_api(tracker)) as c:
        answer = c.post(
            "/api/subscriptions",
            json={"name": "x", "scope": "all", "webhook_url": case["url"]},
            headers=AUTH,
        )
    assert answer.status_code == 422, answer.text
    with tracker.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SubscriptionRow)) == 0
    detail = answer.json()["detail"]
    if isinstance(detail, str):  # where the host leads: one sentence for every reason
        assert detail == REFUSED_MESSAGE
    else:  # the URL's form (scheme, numeric host): said from the URL alone
        (error,) = detail
        assert error["loc"][-1] == "webhook_url"
        for leak in ("resolve", "non-public", "Errno", "connect"):
            assert leak not in error["msg"]


def test_public_targets_and_an_allow_listed_loopback_are_accepted(tmp_path: Path) -> None:
    assert check_target("https://93.184.216.34/hook", AllowList()) == [PUBLIC]
    assert check_target("https://[2606:4700::1111]:8443/h", AllowList()) == [
        ipaddress.ip_address("2606:4700::1111")
    ]

    def public_dns(host: str, port: int, timeout: float) -> list[IPAddress]:
        return [PUBLIC]

    assert check_target("https://hooks.example.org/x", AllowList(), resolver=public_dns)
    service = make_tracker(tmp_path, allow="127.0.0.1/32")
    with TestClient(subscriptions_api(service)) as c:
        made = c.post(
            "/api/subscriptions",
            json={"name": "x", "scope": "all", "webhook_url": "http://127.0.0.1:8099/hook"},
            headers=AUTH,
        )
    service.engine.dispose()
    assert made.status_code == 201, made.text


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    def mixed_dns(host: str, port: int, timeout: float) -> list[IPAddress]:
        return [PUBLIC, ipaddress.ip_address("10.1.2.3")]

    with pytest.raises(TargetRefused):
        check_target("https://hooks.example.org/x", AllowList(), resolver=mixed_dns)


def test_embedded_ipv4_is_judged_by_what_it_carries() -> None:
    assert is_public_address(ipaddress.ip_address("2002:5db8:d822::1"))  # 6to4 of public
    assert not is_public_address(ipaddress.ip_address("2002:0a00:0001::1"))  # 6to4 of 10/8
    teredo_private_client = ipaddress.ip_address("2001:0:4136:e378:8000:63bf:f5ff:fffe")
    assert not is_public_address(teredo_private_client)


def test_the_allow_list_reads_cidrs_and_names_and_refuses_bad_cidrs() -> None:
    allow = AllowList.parse(" 127.0.0.1/32, ::1 ,hooks.corp.example., ")
    assert allow.allows_address(LOOPBACK) and allow.allows_address(ipaddress.ip_address("::1"))
    assert not allow.allows_address(ipaddress.ip_address("127.0.0.2"))
    assert allow.allows_host("HOOKS.corp.example")
    with pytest.raises(ValueError, match="CIDR"):
        AllowList.parse("10.0.0.0/33")


def test_a_stored_private_target_is_refused_when_delivering(
    tracker: TrackerService, receiver: Receiver
) -> None:
    stored_subscription(tracker, receiver.url)  # loopback, and no allow-list
    report_unfinished_after_deadline(tracker)  # evidence the pass turns overdue
    tracker.reevaluate(as_of=date(2026, 1, 15))
    assert deliver_due(tracker.sessions, tracker.settings, datetime.now(UTC)) == 1
    assert receiver.received == []
    assert attempts(tracker) == [(None, f"refused: {REFUSED_MESSAGE}")]


def test_a_dns_answer_that_changes_after_creation_does_not_reach_inside(
    tracker: TrackerService, receiver: Receiver
) -> None:
    """DNS rebinding: public when the subscription is created, loopback at delivery."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    url = f"http://hooks.example.org:{port}/hook"
    answers = iter([[PUBLIC], [LOOPBACK]])

    def rebinding_dns(host: str, port: int, timeout: float) -> list[IPAddress]:
        return next(answers)

    check_target(url, AllowList(), resolver=rebinding_dns)  # creation passes
    stored_subscription(tracker, url)
    report_unfinished_after_deadline(tracker)  # evidence the pass turns overdue
    tracker.reevaluate(as_of=date(2026, 1, 15))
    deliver_due(tracker.sessions, tracker.settings, datetime.now(UTC), resolver=rebinding_dns)
    assert receiver.received == []
    assert attempts(tracker) == [(None, f"refused: {REFUSED_MESSAGE}")]


def test_the_connection_goes_to_the_checked_address_with_the_name_in_host(
    tmp_path: Path, receiver: Receiver
) -> None:
    service = make_tracker(tmp_path, allow="127.0.0.1/32")
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    looked_up: list[str] = []

    def dns(host: str, port: int, timeout: float) -> list[IPAddress]:
        looked_up.append(host)
        return [LOOPBACK]

    stored_subscription(service, f"http://hooks.example.org:{port}/hook")
    report_unfinished_after_deadline(service)  # evidence the pass turns overdue
    service.reevaluate(as_of=date(2026, 1, 15))
    deliver_due(service.sessions, service.settings, datetime.now(UTC), resolver=dns)
    service.engine.dispose()
    assert looked_up == ["hooks.example.org"]  # resolved once, by the guarded backend
    ((headers, _body),) = receiver.received
    assert headers["host"] == f"hooks.example.org:{port}"


def test_redirects_are_not_followed(tmp_path: Path) -> None:
    service = make_tracker(tmp_path, allow="127.0.0.1/32")
    with running_receiver() as inner, running_receiver() as outer:
        outer.script.append(302)
        outer.location = inner.url
        stored_subscription(service, outer.url)
        report_unfinished_after_deadline(service)  # evidence the pass turns overdue
        service.reevaluate(as_of=date(2026, 1, 15))
        deliver_due(service.sessions, service.settings, datetime.now(UTC))
        assert len(outer.received) == 1 and inner.received == []
    assert attempts(service) == [(302, "HTTP 302 (redirects are not followed)")]
    service.engine.dispose()


@pytest.mark.parametrize(
    ("certified_name", "delivered"), [("hooks.example.org", True), ("other.example.org", False)]
)
def test_https_to_the_pinned_address_checks_the_certificate_of_the_name(
    tmp_path: Path, certified_name: str, delivered: bool
) -> None:
    """The socket goes to the checked address, yet TLS (SNI and the certificate check)
    still speaks of the name in the URL: a certificate for another name is refused."""
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(certified_name).configure_cert(server_tls)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    service = make_tracker(tmp_path, allow="127.0.0.1/32")
    service.settings = service.settings.model_copy(update={"webhook_ca_bundle": str(ca_file)})

    def dns(host: str, port: int, timeout: float) -> list[IPAddress]:
        return [LOOPBACK]

    with running_receiver(tls=server_tls) as rec:
        port = int(rec.url.rsplit(":", 1)[1].split("/")[0])
        stored_subscription(service, f"https://hooks.example.org:{port}/hook")
        report_unfinished_after_deadline(service)  # evidence the pass turns overdue
        service.reevaluate(as_of=date(2026, 1, 15))
        deliver_due(service.sessions, service.settings, datetime.now(UTC), resolver=dns)
        got = list(rec.received)
    outcome = attempts(service)
    service.engine.dispose()
    if delivered:
        assert outcome == [(200, None)]
        assert got[0][0]["host"] == f"hooks.example.org:{port}"
    else:
        assert outcome == [(None, "could not connect")] and got == []


@pytest.mark.parametrize("url", ["http://a..b/hook", "http://exa mple.org/hook", "http://[::1/"])
def test_a_stored_url_that_cannot_be_used_fails_its_attempt_not_the_pass(
    tracker: TrackerService, url: str
) -> None:
    stored_subscription(tracker, url)
    report_unfinished_after_deadline(tracker)  # evidence the pass turns overdue
    tracker.reevaluate(as_of=date(2026, 1, 15))
    assert deliver_due(tracker.sessions, tracker.settings, datetime.now(UTC)) == 1
    ((status, error),) = attempts(tracker)
    assert status is None and error in (f"refused: {REFUSED_MESSAGE}", "delivery failed")
