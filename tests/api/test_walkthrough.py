"""The coalition workflows end to end, over HTTP against the served app (its lifespan runs the webhook
worker), as docs/workflows.md tells them.

1. A platform's pipeline matches an edited copy of a banked image; the bank requires review, so a case
   opens and the response names it; the platform's receiver gets `case.opened` and `match.hit`, signed.
   A removal order arrives; the reviewer removes the item within the hour; the content provider
   complains; the reviewer reinstates it; each decision reaches the receiver; the platform's
   transparency report shows all of it, by month and with the entity's name.
2. A request for assistance from draft to closed, as in docs/requests.md's worked example, with both
   parties' receivers told of each move and the requested side's auditor reading the record.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ctexchange.api.app import create_app
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.imports import ListFormat
from tests.api.factories import MakeMember, Member
from tests.interop.data_files import read_data
from tests.media import edited, pattern, png
from tests.receiver import Receiver, running_receiver

NUSRAH = "AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT"


@dataclass
class Served:
    """The served app's client, the people, the receiver and each organization's webhook secret."""

    client: TestClient
    people: dict[str, Member]
    receiver: Receiver
    secrets: dict[str, str]

    def call(self, who: str, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """Call the API as `who`; check the status; return the JSON (or the response for a download)."""
        response = self.client.request(method, f"/v1{path}", headers=self.people[who].headers, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.headers.get("content-type") == "application/json" else response

    def events(self, count: int, path: str) -> list[dict[str, Any]]:
        """Wait for `count` POSTs in all; return the payloads received on `path`, each signature checked."""
        got = [r for r in self.receiver.wait_for(count) if r.path == path]
        assert all(r.is_signed_with(self.secrets[path]) for r in got)
        return [r.payload for r in got]


@pytest.fixture
def served(exchange: Exchange, operator: Caller, admin: Member, make_member: MakeMember) -> Iterator[Served]:
    """The UN list excerpt in UN-SC; the platform (admin, pipeline, reviewer, analyst, auditor); the app
    served over the test's store with a 1-second delivery worker; each organization's receiver path."""
    exchange.imports.import_list(operator, ListFormat.UN_LIST, read_data("un-consolidated-list-excerpt.xml"))
    people = {
        "coalition": admin,
        "platform-admin": make_member("example-platform", "padmin", "admin"),
        "pipeline": make_member("example-platform", "pipeline", "service"),
        "reviewer": make_member("example-platform", "reviewer", "reviewer"),
        "analyst": make_member("example-platform", "platform-analyst", "analyst"),
        "auditor": make_member("example-platform", "platform-auditor", "auditor"),
    }
    app = create_app(replace(exchange.settings, webhook_deliver_every_s=1))
    with running_receiver() as receiver, TestClient(app) as client:
        yield Served(client, people, receiver, {})


def _subscribe(served: Served, who: str, path: str, events: list[str]) -> None:
    body = {"url": served.receiver.url(path), "events": events}
    served.secrets[path] = served.call(who, "POST", "/webhooks", 201, json=body)["secret"]


def test_a_match_from_case_to_reinstatement_and_the_report(served: Served) -> None:
    """See the module docstring, part 1."""
    s = served
    s.call(
        "coalition",
        "POST",
        "/collections",
        201,
        json={"name": "tco", "marking": "GREEN", "requires_review": True},
    )
    banked = s.call(
        "coalition",
        "POST",
        "/collections/tco/files",
        201,
        files={"file": ("official.png", png(pattern(7)), "image/png")},
        data={"labels": ["propaganda", "un:QDe.137"]},
    )
    assert banked["added"]
    _subscribe(s, "platform-admin", "/platform", ["match.hit", "case.opened", "case.decided"])

    matched = s.call(
        "pipeline", "POST", "/match", files={"file": ("upload-8812.jpg", edited(7), "image/jpeg")}
    )
    pdq = next(h for h in matched["matches"] if h["kind"] == "pdq")
    assert pdq["match_type"] == "perceptual" and pdq["collection"] == "tco"
    [case_id] = matched["case_ids"]
    assert pdq["case_id"] == case_id
    told = {p["type"]: p["data"] for p in s.events(2, "/platform")}
    assert told["case.opened"] == {"case_id": case_id}
    assert {h["case_id"] for h in told["match.hit"]["hits"]} == {case_id}

    received = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    s.call("pipeline", "POST", f"/cases/{case_id}/removal-order", json={"received_at": received})
    confirmed = s.call(
        "reviewer",
        "POST",
        f"/cases/{case_id}/confirm",
        json={"action": "remove", "reason": "Official propaganda of a listed group (UN QDe.137)."},
    )
    assert confirmed["status"] == "confirmed" and confirmed["is_removed_in_time"] is True
    assert 20 <= confirmed["minutes_to_removal"] < 60
    [ordered] = s.call("reviewer", "GET", "/cases", params={"removal_order": "true"})["items"]
    assert ordered["id"] == case_id and ordered["removal_due_at"] is not None

    complained = s.call(
        "pipeline",
        "POST",
        f"/cases/{case_id}/complaint",
        json={"reason": "The uploader says it is news coverage."},
    )
    assert complained["status"] == "complained" and complained["complaint_deadline"] is not None
    reinstated = s.call(
        "reviewer",
        "POST",
        f"/cases/{case_id}/reinstate",
        json={"reason": "A news report quoting it critically."},
    )
    assert reinstated["status"] == "reinstated"
    decided = [p["data"] for p in s.events(5, "/platform") if p["type"] == "case.decided"]
    assert [(d["move"], d["to"]) for d in decided] == [
        ("confirm", "confirmed"),
        ("complain", "complained"),
        ("reinstate", "reinstated"),
    ]

    today = datetime.now(UTC).date()
    period = {
        "org": "example-platform",
        "from": str(today - timedelta(days=1)),
        "to": str(today + timedelta(days=1)),
    }
    report = s.call("platform-admin", "GET", "/reports/transparency", params=period)
    sections = report["sections"]
    assert sections["matches"]["items_matched"] == 1
    assert sections["matches"]["matched_by_entity"] == {"un:QDe.137": 1}
    assert (sections["actions"]["remove"], sections["actions"]["items_actioned"]) == (1, 1)
    orders = sections["removal_orders"]
    assert (orders["received"], orders["acted_on"], orders["within_60_minutes"]) == (1, 1, 1)
    assert sections["complaints"] == {"filed": 1, "upheld": 0, "reinstated": 1, "reinstatements": 1}
    assert report["entities"]["un:QDe.137"]["name"] == NUSRAH
    assert sum(m["items_matched"] for m in report["months"]) == 1
    assert sum(m["reinstatements"] for m in report["months"]) == 1
    assert max(m["max_minutes_to_act"] or 0 for m in report["months"]) == orders["median_minutes"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                s.call(
                    "platform-admin", "GET", "/reports/transparency", params={**period, "format": "csv"}
                ).text
            )
        )
    )
    assert {
        "metric": "matched_by_entity",
        "dimension": "un:QDe.137",
        "value": "1",
        "name": NUSRAH,
    }.items() <= next(r for r in rows if r["metric"] == "matched_by_entity").items()
    page = s.call("platform-admin", "GET", "/reports/transparency", params={**period, "format": "html"}).text
    assert NUSRAH in page and "by month" in page and "<script" not in page


def test_a_request_for_assistance_from_draft_to_closed(
    served: Served, exchange: Exchange, operator: Caller
) -> None:
    """See the module docstring, part 2."""
    s = served
    _subscribe(s, "platform-admin", "/platform", ["request.received", "request.moved"])
    _subscribe(s, "coalition", "/coalition", ["request.moved"])
    [nusrah] = [
        signal
        for signal in s.call(
            "coalition", "GET", "/signals", params={"collection": "coalition/UN-SC", "limit": 500}
        )["items"]
        if signal["external_id"] == "QDe.137"
    ]
    draft = {
        "requested_org": "example-platform",
        "title": "Preserve and produce data of a recruitment channel",
        "reference": "RATS/2026/0147",
        "legal_basis": "UN Security Council resolution 2396 (2017), para. 13; bilateral MoU of 12 March 2021",
        "facts": "A channel on the service recruits for the Al-Nusrah Front.",
        "offence": "Recruitment for a terrorist organization",
        "assistance": ["preserve_data", "produce_data", "identify"],
        "assistance_detail": "Subscriber data and IP logs of the channel's administrators",
        "subjects": [{"signal_id": nusrah["id"]}, {"name": "Abu Example", "kind": "person"}],
        "urgency": "urgent",
        "urgency_justification": "The service deletes IP logs after 90 days",
        "deadline": str(datetime.now(UTC).date() + timedelta(days=20)),
    }
    rid = s.call("coalition", "POST", "/requests", 201, json=draft)["id"]
    court_order = b"%PDF-1.4 court order"
    s.call(
        "coalition",
        "POST",
        f"/requests/{rid}/attachments",
        201,
        files={"file": ("court-order.pdf", court_order, "application/pdf")},
    )
    hidden = s.call("analyst", "GET", f"/requests/{rid}", 404)
    absent = s.call("analyst", "GET", "/requests/00000000-0000-4000-8000-000000000000", 404)
    assert hidden["error"]["message"].replace(rid, "ID") == absent["error"]["message"].replace(
        "00000000-0000-4000-8000-000000000000", "ID"
    )

    s.call("coalition", "POST", f"/requests/{rid}/send", json={"note": "Please confirm receipt"})
    [listed] = s.call("analyst", "GET", "/requests", params={"side": "requested"})["items"]
    assert listed["id"] == rid and listed["status"] == "sent"
    assert {x["name"] for x in listed["subjects"]} == {NUSRAH, "Abu Example"}
    s.call("analyst", "POST", f"/requests/{rid}/acknowledge", json={"note": "Received; assigned to legal."})
    early = s.call("analyst", "POST", f"/requests/{rid}/answer", 409, json={"outcome": "full"})
    assert early["error"]["code"] == "invalid_transition"
    s.call("analyst", "POST", f"/requests/{rid}/start")
    s.call(
        "analyst", "POST", f"/requests/{rid}/messages", 201, json={"body": "Which time zone for the IP logs?"}
    )
    s.call("coalition", "POST", f"/requests/{rid}/messages", 201, json={"body": "UTC, please."})
    data = b"account,created\nchannel-admin-1,2025-11-02\n"
    sent = s.call(
        "analyst",
        "POST",
        f"/requests/{rid}/attachments",
        201,
        files={"file": ("subscribers.csv", data, "text/csv")},
    )
    assert sent["sha256"] == hashlib.sha256(data).hexdigest()
    partial = {"outcome": "partial", "note": "Subscriber data attached; older IP logs were deleted."}
    assert s.call("analyst", "POST", f"/requests/{rid}/answer", json=partial)["status"] == "answered"

    detail = s.call("coalition", "GET", f"/requests/{rid}")
    assert [m["move"] for m in detail["history"]] == ["send", "acknowledge", "start", "answer"]
    got = s.call("coalition", "GET", f"/requests/{rid}/attachments/{sent['id']}")
    assert got.content == data
    assert (
        s.call("coalition", "POST", f"/requests/{rid}/close", json={"note": "Thank you."})["status"]
        == "closed"
    )
    again = s.call("coalition", "POST", f"/requests/{rid}/close", 409)
    assert "'closed' is final" in again["error"]["message"]

    moves = [(p["type"], p["data"]["move"]) for p in s.events(5, "/platform")]
    assert moves == [("request.received", "send"), ("request.moved", "close")]
    assert [p["data"]["move"] for p in s.events(5, "/coalition")] == ["acknowledge", "start", "answer"]
    record = s.call("auditor", "GET", "/audit", params={"object_id": rid, "limit": 100})["items"]
    actions = [e["action"] for e in record]
    assert actions[0] == "request.send" and "request.close" in actions and "request.create" not in actions
