"""Alerts in the domain: the state machines move by move, validation of every field, the access rule
against an expectation written from docs/alerts.md, and the stored form round-trips."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctexchange.domain.alerts import (
    ACK_MOVES,
    ALERT_MOVES,
    MAX_ROUTE_STOPS,
    Acknowledgement,
    AckState,
    Alert,
    AlertAction,
    AlertAudience,
    AlertContent,
    AlertKind,
    AlertState,
    AlertSubject,
    Cancellation,
    Location,
    RouteStop,
    alert_audience_of,
    can_see_alert,
    check_ack_move,
    check_alert_action,
    check_validity,
    content_from_json,
    content_to_json,
    make_location,
    make_route,
    sees_every_recipient,
)
from ctexchange.domain.entities import EntitySchema, ScreeningQuery
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Principal
from ctexchange.domain.roles import Role
from ctexchange.errors import InvalidInput, InvalidTransition, PayloadTooLarge

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ISSUER, RECIPIENT, OTHER = uuid4(), uuid4(), uuid4()
NAMED = uuid4()


def make_alert(marking: Marking = Marking.AMBER, **changes: object) -> Alert:
    """An alert from ISSUER to RECIPIENT (RED: to the NAMED user of RECIPIENT), in force at NOW."""
    fields: dict[str, object] = {
        "id": uuid4(),
        "org_id": ISSUER,
        "kind": AlertKind.FIGHTER_TRAVEL,
        "marking": marking,
        "content": AlertContent("title"),
        "valid_from": NOW - timedelta(days=1),
        "valid_until": NOW + timedelta(days=1),
        "version": 1,
        "issued_by": "user:x",
        "issued_at": NOW - timedelta(days=1),
        "updated_at": NOW - timedelta(days=1),
        "recipient_org_ids": frozenset({RECIPIENT}),
        "recipient_user_ids": frozenset({NAMED}) if marking is Marking.RED else frozenset(),
        **changes,
    }
    return Alert(**fields)  # type: ignore[arg-type]


# The alert state machine --------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "action"), list(itertools.product(AlertState, AlertAction)))
def test_every_alert_move(state: AlertState, action: AlertAction) -> None:
    """An issued alert allows every action (cancel leads to cancelled); expired and cancelled allow none,
    and the refusal names the state, the action and what the state allows."""
    if state is AlertState.ISSUED:
        expected = AlertState.CANCELLED if action is AlertAction.CANCEL else AlertState.ISSUED
        assert check_alert_action(state, action) is expected
        return
    with pytest.raises(InvalidTransition) as info:
        check_alert_action(state, action)
    assert info.value.message == (
        f"cannot {action.value} an alert that is '{state.value}'"
        f" (an alert that is '{state.value}' allows: nothing (a closed alert is read-only))"
    )
    assert info.value.field == "state"


def test_the_move_table_covers_every_state() -> None:
    """Every state has a row; only `issued` has moves, and it reaches only issued and cancelled."""
    assert set(ALERT_MOVES) == set(AlertState)
    assert {s for moves in ALERT_MOVES.values() for s in moves.values()} == {
        AlertState.ISSUED,
        AlertState.CANCELLED,
    }


@pytest.mark.parametrize(("current", "target"), list(itertools.product(AckState, AckState)))
def test_every_acknowledgement_move(current: AckState, target: AckState) -> None:
    """Only pending -> acknowledged is allowed; each other move is refused naming both states."""
    if target in ACK_MOVES[current]:
        check_ack_move(current, target)
        assert (current, target) == (AckState.PENDING, AckState.ACKNOWLEDGED)
        return
    with pytest.raises(InvalidTransition) as info:
        check_ack_move(current, target)
    assert f"from '{current.value}' to '{target.value}'" in info.value.message
    assert "it may move to:" in info.value.message


def test_state_is_derived_from_time_and_cancellation() -> None:
    """Issued until valid_until (exclusive), expired from then on; a cancellation wins over both."""
    alert = make_alert()
    assert alert.state(NOW) is AlertState.ISSUED
    assert alert.state(alert.valid_until - timedelta(microseconds=1)) is AlertState.ISSUED
    assert alert.state(alert.valid_until) is AlertState.EXPIRED
    cancelled = make_alert(cancellation=Cancellation("user:x", "arrested", NOW))
    assert cancelled.state(NOW) is AlertState.CANCELLED
    assert cancelled.state(NOW + timedelta(days=30)) is AlertState.CANCELLED


def test_acknowledgements_are_per_version() -> None:
    """An acknowledgement of version 1 does not acknowledge version 2; pending needs an alert in force."""
    ack = Acknowledgement(uuid4(), RECIPIENT, 1, None, "cli:x", "", NOW)
    v1 = make_alert(acknowledgements=(ack,))
    v2 = make_alert(acknowledgements=(ack,), version=2)
    assert v1.ack_state(RECIPIENT) is AckState.ACKNOWLEDGED
    assert v1.ack_of(RECIPIENT) == ack
    assert v2.ack_state(RECIPIENT) is AckState.PENDING
    assert v2.is_pending_for(RECIPIENT, NOW)
    assert not v1.is_pending_for(RECIPIENT, NOW)
    assert not v2.is_pending_for(ISSUER, NOW)
    assert not v2.is_pending_for(RECIPIENT, v2.valid_until)


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("fighter-travel", AlertKind.FIGHTER_TRAVEL),
        ("Fighter travel", AlertKind.FIGHTER_TRAVEL),
        ("IMMINENT_THREAT", AlertKind.IMMINENT_THREAT),
        (" wanted-person ", AlertKind.WANTED_PERSON),
        ("content-campaign", AlertKind.CONTENT_CAMPAIGN),
    ],
)
def test_kinds_parse_as_typed(typed: str, kind: AlertKind) -> None:
    """Kinds accept spaces, underscores and any case."""
    assert AlertKind.parse(typed, "kind") is kind


def test_unknown_kind_names_the_choices() -> None:
    """A kind outside the list is refused naming the field and every kind."""
    with pytest.raises(InvalidInput) as info:
        AlertKind.parse("rumour", "kind")
    assert info.value.field == "kind"
    assert "fighter-travel, imminent-threat, wanted-person, content-campaign" in info.value.message


def test_person_kinds_need_a_subject() -> None:
    """Fighter travel and wanted person are about a person; the other kinds may have no subject."""
    assert {k for k in AlertKind if k.needs_subject} == {AlertKind.FIGHTER_TRAVEL, AlertKind.WANTED_PERSON}


# Validation ---------------------------------------------------------------------------------------------


def test_validity_accepts_a_window_in_force_or_ahead() -> None:
    """A window that started yesterday, or starts next week, for up to 365 days, is accepted."""
    check_validity(NOW - timedelta(days=1), NOW + timedelta(days=364), NOW)
    check_validity(NOW + timedelta(days=7), NOW + timedelta(days=372), NOW)


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "field", "expectation"),
    [
        (NOW, NOW, "valid_until", "after valid_from"),
        (NOW, NOW - timedelta(hours=1), "valid_until", "after valid_from"),
        (NOW - timedelta(days=2), NOW - timedelta(days=1), "valid_until", "in the future"),
        (NOW, NOW + timedelta(days=365, seconds=1), "valid_until", "at most 365 days after valid_from"),
        (NOW + timedelta(days=366), NOW + timedelta(days=367), "valid_from", "at most 365 days from now"),
        (NOW.replace(tzinfo=None), NOW + timedelta(days=1), "valid_from", "a time with a time zone"),
        (NOW, (NOW + timedelta(days=1)).replace(tzinfo=None), "valid_until", "a time with a time zone"),
    ],
)
def test_impossible_windows_are_refused(
    valid_from: datetime, valid_until: datetime, field: str, expectation: str
) -> None:
    """Each impossible window is refused naming the field and what was expected."""
    with pytest.raises(InvalidInput) as info:
        check_validity(valid_from, valid_until, NOW)
    assert info.value.field == field
    assert expectation in info.value.message


def test_route_keeps_order_and_canonical_codes() -> None:
    """Stops keep their order; countries are uppercased; empty parts are None; a place may be empty."""
    route = make_route([("Idlib", "sy", "2026-11-20"), ("", "TR", None), ("Istanbul", None, "2026-11")])
    assert route == (
        RouteStop("Idlib", "SY", "2026-11-20"),
        RouteStop("", "TR", None),
        RouteStop("Istanbul", None, "2026-11"),
    )


@pytest.mark.parametrize(
    ("stops", "field", "expectation"),
    [
        ([("", None, None)], "route[0].place", "a place or a country"),
        ([("A", "Turkey", None)], "route[0].country", "ISO 3166-1 alpha-2"),
        ([("A", None, "2026-02-30")], "route[0].date", "a day that exists"),
        ([("A", None, "2026-13")], "route[0].date", "a month from 01 to 12"),
        ([("A", None, "yesterday")], "route[0].date", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ([("A", None, "2026-11-20"), ("B", None, "2026-11-19")], "route[1].date", "not before"),
        (
            [("A", None, "2026-11"), ("B", None, None), ("C", None, "2026-10-31")],
            "route[2].date",
            "not before",
        ),
        ([("Ist\u202eanbul", None, None)], "route[0].place", "hidden characters"),
        ([("Istanbul\nAnkara", None, None)], "route[0].place", "hidden characters"),
    ],
)
def test_bad_routes_name_the_stop(
    stops: list[tuple[object, object, object]], field: str, expectation: str
) -> None:
    """Each bad stop is refused naming its index and field."""
    with pytest.raises(InvalidInput) as info:
        make_route(stops)
    assert info.value.field == field
    assert expectation in info.value.message


def test_partial_dates_compare_at_shared_precision() -> None:
    """`2026-11` then `2026-11-05` is in order (same month); a year later is always in order."""
    assert len(make_route([("A", None, "2026-11"), ("B", None, "2026-11-05"), ("C", None, "2027")])) == 3


def test_route_length_is_capped() -> None:
    """More than MAX_ROUTE_STOPS stops is too large."""
    with pytest.raises(PayloadTooLarge):
        make_route([("A", None, None)] * (MAX_ROUTE_STOPS + 1))


def test_location_is_one_line_with_an_optional_country() -> None:
    """A location is NFC text of one line and a code; oversized, multi-line or hidden text is refused."""
    assert make_location("Gaziantep ", "tr") == Location("Gaziantep", "TR")
    assert make_location("e\u0301", None) == Location("\u00e9", None)
    for text, field in (("x" * 301, "location.text"), ("a\nb", "location.text"), ("", "location.text")):
        with pytest.raises(InvalidInput) as info:
            make_location(text, None)
        assert info.value.field == field
    with pytest.raises(InvalidInput) as country:
        make_location("Gaziantep", "TUR")
    assert country.value.field == "location.country"


def test_changed_fields_name_what_differs() -> None:
    """changed_fields lists exactly the fields that differ."""
    before = AlertContent("t", "d", AlertSubject(), Location("a"), ())
    after = AlertContent("t", "d2", AlertSubject(), Location("b"), ())
    assert before.changed_fields(after) == ["details", "location"]
    assert before.changed_fields(before) == []


# Who sees an alert --------------------------------------------------------------------------------------


def expected_visible(org: UUID, role: Role, is_operator: bool, is_named: bool, marking: Marking) -> bool:
    """docs/alerts.md: issuer, recipients (RED: named users), their auditors, the operator's auditors."""
    if org == ISSUER:
        return True
    if role is Role.AUDITOR and is_operator:
        return True
    if org == RECIPIENT:
        return role is Role.AUDITOR or marking is not Marking.RED or is_named
    return False


CELLS = list(
    itertools.product([ISSUER, RECIPIENT, OTHER], list(Role), [False, True], [False, True], list(Marking))
)


@pytest.mark.parametrize(("org", "role", "is_operator", "is_named", "marking"), CELLS)
def test_visibility_matrix(
    org: UUID, role: Role, is_operator: bool, is_named: bool, marking: Marking
) -> None:
    """can_see_alert agrees with the table in docs/alerts.md in every cell."""
    user = NAMED if is_named else uuid4()
    principal = Principal(org, role, user, "u", is_operator)
    alert = make_alert(marking)
    assert can_see_alert(alert_audience_of(principal), alert) is expected_visible(
        org, role, is_operator, is_named, marking
    )


def test_only_the_issuer_and_operator_auditors_see_every_recipient() -> None:
    """A recipient's auditor sees the alert but not the whole recipient list."""
    alert = make_alert()
    assert sees_every_recipient(AlertAudience(ISSUER, None, False, False), alert)
    assert sees_every_recipient(AlertAudience(OTHER, None, True, True), alert)
    assert not sees_every_recipient(AlertAudience(RECIPIENT, None, True, False), alert)


# The stored form ----------------------------------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]), max_size=20)
_CODE = st.none() | st.sampled_from(["SY", "TR", "IQ", "FR"])


@given(
    title=_TEXT,
    details=_TEXT,
    names=st.lists(_TEXT, min_size=1, max_size=3),
    country=_CODE,
    stops=st.lists(st.tuples(_TEXT, _CODE, st.none() | st.sampled_from(["2026", "2026-11", "2026-11-05"]))),
    has_signal=st.booleans(),
)
def test_content_round_trips_through_json(
    title: str,
    details: str,
    names: list[str],
    country: str | None,
    stops: list[tuple[str, str | None, str | None]],
    has_signal: bool,
) -> None:
    """content_from_json(content_to_json(c)) == c for any content."""
    description = ScreeningQuery(EntitySchema.PERSON, tuple(names), ("1990",), ("SY",), ("N1",), "male")
    content = AlertContent(
        title,
        details,
        AlertSubject(uuid4() if has_signal else None, description),
        Location(title, country),
        tuple(RouteStop(p, c, d) for p, c, d in stops),
    )
    assert content_from_json(content_to_json(content)) == content
