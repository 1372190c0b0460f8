"""Webhook rules without I/O: URLs, event types, the delivery state machine move by move, back-off, the
signature."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from ctexchange.domain.webhooks import (
    BACKOFF,
    DELIVERY_MOVES,
    MAX_ATTEMPTS,
    MAX_URL_CHARS,
    DeliveryStatus,
    WebhookEvent,
    after_failure,
    check_delivery_move,
    check_url,
    parse_events,
    sign,
)
from ctexchange.errors import InvalidInput, InvalidTransition

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/ctx",
        "https://hooks.example.org:8443/ctx?token=abc",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]:9000/",
        "https://[2001:db8::1]/x",
    ],
)
def test_acceptable_urls(url: str) -> None:
    """https anywhere and http to loopback are accepted as typed."""
    assert check_url(f"  {url} ") == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://hooks.example.org/ctx", "http:// only to a loopback host"),
        ("http://10.0.0.1/ctx", "http:// only to a loopback host"),
        ("ftp://hooks.example.org/", "an https:// URL with a host"),
        ("file:///etc/passwd", "an https:// URL with a host"),
        ("https:///path", "an https:// URL with a host"),
        ("https://user:pw@hooks.example.org/", "without user name or password"),
        ("https://hooks.example.org/#frag", "without a #fragment"),
        ("https://hooks.example.org/\u202eevil", "without control, bidi or space"),
        ("https://hooks.example.org/a\nb", "without control, bidi or space"),
        ("https://hooks.example.org/a b", "without control, bidi or space"),
        ("https://hooks.example.org:99999/", "a well-formed URL"),
        ("https://hooks.example.org:0/", "a port from 1 to 65535"),
        ("", "a URL of 1 to"),
        ("https://h.example/" + "a" * MAX_URL_CHARS, "a URL of 1 to"),
    ],
)
def test_refused_urls_name_field_and_expectation(url: str, expected: str) -> None:
    """Every refused URL is InvalidInput naming the field and what was expected."""
    with pytest.raises(InvalidInput, match=expected) as caught:
        check_url(url)
    assert caught.value.field == "url"


def test_url_must_be_text() -> None:
    """A non-string URL names its type."""
    with pytest.raises(InvalidInput, match=r"'url' must be a URL as text \(got 42 \(int\)\)"):
        check_url(42)


def test_parse_events() -> None:
    """Event types parse case-insensitively; unknown ones name their position and the choices."""
    assert parse_events(["CASE.OPENED", "alert.received", "case.opened"]) == {
        WebhookEvent.CASE_OPENED,
        WebhookEvent.ALERT_RECEIVED,
    }
    with pytest.raises(InvalidInput, match=r"'events\[1\]' must be one of match.hit, case.opened"):
        parse_events(["case.opened", "case.closed"])
    with pytest.raises(InvalidInput, match="1 to 16 event types"):
        parse_events([])
    with pytest.raises(InvalidInput, match="a list of event types"):
        parse_events("case.opened")


ALL_MOVES = [(a, b) for a in DeliveryStatus for b in DeliveryStatus]


@pytest.mark.parametrize(("current", "target"), ALL_MOVES)
def test_delivery_moves_one_by_one(current: DeliveryStatus, target: DeliveryStatus) -> None:
    """Each allowed move passes; each other one names the state and the allowed moves."""
    if target in DELIVERY_MOVES[current]:
        check_delivery_move(current, target)
        return
    with pytest.raises(InvalidTransition) as caught:
        check_delivery_move(current, target)
    message = str(caught.value)
    assert f"from '{current.value}' to '{target.value}'" in message
    allowed = sorted(s.value for s in DELIVERY_MOVES[current])
    assert (", ".join(allowed) if allowed else "nothing (final)") in message


def test_final_states_have_no_moves() -> None:
    """Delivered, failed and cancelled are final; pending and retrying may end any way."""
    for final in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED):
        assert DELIVERY_MOVES[final] == frozenset()
    assert DeliveryStatus.PENDING not in DELIVERY_MOVES[DeliveryStatus.RETRYING]


def test_backoff_schedule_then_failed() -> None:
    """Failures wait 30 s, 2 min, 10 min, 1 h, 6 h; the sixth failure is final."""
    waits = [after_failure(n, T0) for n in range(1, MAX_ATTEMPTS)]
    assert [w for _, w in waits] == [T0 + d for d in BACKOFF]
    assert (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=6),
    ) == BACKOFF
    assert {s for s, _ in waits} == {DeliveryStatus.RETRYING}
    assert after_failure(MAX_ATTEMPTS, T0) == (DeliveryStatus.FAILED, None)
    with pytest.raises(InvalidInput, match="'attempts' must be at least 1"):
        after_failure(0, T0)


def test_signature_is_stripe_style_hmac() -> None:
    """The header is t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>, and changes with t and body."""
    body = b'{"id":"x"}'
    expected = hmac.new(b"whsec_k", b'1767225600.{"id":"x"}', hashlib.sha256).hexdigest()
    assert sign("whsec_k", 1767225600, body) == f"t=1767225600,v1={expected}"
    assert sign("whsec_k", 1767225601, body) != sign("whsec_k", 1767225600, body)
    assert sign("whsec_k", 1767225600, b"{}") != sign("whsec_k", 1767225600, body)
