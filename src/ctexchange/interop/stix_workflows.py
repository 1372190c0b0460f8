"""Requests for assistance and alerts as STIX 2.1 objects: two new SDOs with registered extension definitions.

STIX has no object for a request from one agency to another, nor for an alert with acknowledgements;
`note` and `report` would lose their structure (deadline, urgency, subjects, recipients). So each is a
new SDO defined by an extension definition (`extension_types: ["new-sdo"]`) whose `schema` is its JSON
Schema as text, and each is registered with the stix2 library (`stix2.v21.CustomObject`), so that
`stix2.parse` checks its properties' types (timestamps, identity references, lists) rather than taking it
as an unknown custom object.

Decisions:
- Ids: `ctexchange-request--<request id>`, `ctexchange-alert--<alert id>`; `created` is when the request
  was drafted (the alert issued), `modified` its last change, so (id, modified) names one version.
- Parties are member identities: `created_by_ref` and `requesting_ref` the requester, `requested_ref`
  the requested organization; an alert's `created_by_ref` is its issuer and `recipient_refs` the
  recipient organizations the caller may know of (the alert service already hides the others).
- The marking is the request's confidentiality or the alert's marking, as an official TLP 2.0 definition.
- Free-form nested parts (subjects, the alert's subject, location and route) are plain JSON objects
  without null members, as STIX asks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import stix2  # type: ignore[import-untyped]  # stix2 ships no type information
from stix2.properties import (  # type: ignore[import-untyped]
    DictionaryProperty,
    IntegerProperty,
    ListProperty,
    ReferenceProperty,
    StringProperty,
    TimestampProperty,
)

from ctexchange.domain.alerts import Alert
from ctexchange.domain.requests import AssistanceRequest
from ctexchange.interop.stix import (
    ALERT_EXTENSION_ID,
    ALERT_TYPE,
    EXCHANGE_IDENTITY_ID,
    FIXED_CREATED,
    REQUEST_EXTENSION_ID,
    REQUEST_TYPE,
    SPEC_VERSION,
    TLP_IDS,
    organization_ref,
    stix_time,
    without_nulls,
)

_IDENTITY = {"valid_types": "identity", "spec_version": SPEC_VERSION}
_OBJECT = {"spec_version": SPEC_VERSION}  # a JSON object; its extension's schema says what it holds

REQUEST_SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ctexchange request for assistance (new SDO ctexchange-request)",
        "type": "object",
        "required": ["title", "status", "requesting_ref", "requested_ref", "urgency"],
        "properties": {
            "title": {"type": "string"},
            "status": {"type": "string", "description": "draft, sent, acknowledged, in-progress, ..."},
            "requesting_ref": {"type": "string", "pattern": "^identity--"},
            "requested_ref": {"type": "string", "pattern": "^identity--"},
            "legal_basis": {"type": "string"},
            "facts": {"type": "string"},
            "offence": {"type": "string"},
            "assistance": {"type": "array", "items": {"type": "string"}},
            "assistance_detail": {"type": "string"},
            "subjects": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "name"],
                    "properties": {
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "reference": {"type": "string"},
                        "description": {"type": "string"},
                        "birth_date": {"type": "string"},
                        "nationalities": {"type": "array", "items": {"type": "string"}},
                        "signal_id": {"type": "string", "format": "uuid"},
                    },
                },
            },
            "urgency": {"type": "string"},
            "urgency_justification": {"type": "string"},
            "deadline": {"type": "string", "format": "date-time"},
            "language": {"type": "string"},
            "reference": {"type": "string"},
            "sent": {"type": "string", "format": "date-time"},
            "outcome": {"type": "string"},
            "reason": {"type": "string"},
        },
    },
    sort_keys=True,
)
ALERT_SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ctexchange alert (new SDO ctexchange-alert)",
        "type": "object",
        "required": ["alert_kind", "title", "valid_from", "valid_until", "alert_version", "state"],
        "properties": {
            "alert_kind": {"type": "string"},
            "title": {"type": "string"},
            "details": {"type": "string"},
            "subject": {"type": "object", "description": "signal_id and/or a screening-query description"},
            "location": {"type": "object", "properties": {"text": {}, "country": {}}},
            "route": {"type": "array", "items": {"type": "object"}},
            "valid_from": {"type": "string", "format": "date-time"},
            "valid_until": {"type": "string", "format": "date-time"},
            "alert_version": {"type": "integer", "minimum": 1},
            "state": {"enum": ["issued", "expired", "cancelled"]},
            "cancellation_reason": {"type": "string"},
            "recipient_refs": {"type": "array", "items": {"type": "string", "pattern": "^identity--"}},
        },
    },
    sort_keys=True,
)


@stix2.v21.CustomObject(
    REQUEST_TYPE,
    [
        ("title", StringProperty(required=True)),
        ("status", StringProperty(required=True)),
        ("requesting_ref", ReferenceProperty(required=True, **_IDENTITY)),
        ("requested_ref", ReferenceProperty(required=True, **_IDENTITY)),
        ("legal_basis", StringProperty()),
        ("facts", StringProperty()),
        ("offence", StringProperty()),
        ("assistance", ListProperty(StringProperty)),
        ("assistance_detail", StringProperty()),
        ("subjects", ListProperty(DictionaryProperty(**_OBJECT))),
        ("urgency", StringProperty(required=True)),
        ("urgency_justification", StringProperty()),
        ("deadline", TimestampProperty()),
        ("language", StringProperty()),
        ("reference", StringProperty()),
        ("sent", TimestampProperty()),
        ("outcome", StringProperty()),
        ("reason", StringProperty()),
    ],
    extension_name=REQUEST_EXTENSION_ID,
)
class StixRequest:
    """The stix2 library's class of `ctexchange-request` (registered so that parsing checks it)."""


@stix2.v21.CustomObject(
    ALERT_TYPE,
    [
        ("alert_kind", StringProperty(required=True)),
        ("title", StringProperty(required=True)),
        ("details", StringProperty()),
        ("subject", DictionaryProperty(**_OBJECT)),
        ("location", DictionaryProperty(**_OBJECT)),
        ("route", ListProperty(DictionaryProperty(**_OBJECT))),
        ("valid_from", TimestampProperty(required=True)),
        ("valid_until", TimestampProperty(required=True)),
        ("alert_version", IntegerProperty(required=True, min=1)),
        ("state", StringProperty(required=True)),
        ("cancellation_reason", StringProperty()),
        ("recipient_refs", ListProperty(ReferenceProperty(**_IDENTITY))),
    ],
    extension_name=ALERT_EXTENSION_ID,
)
class StixAlert:
    """The stix2 library's class of `ctexchange-alert` (registered so that parsing checks it)."""


def _definition(ext_id: str, name: str, description: str, schema: str) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": SPEC_VERSION,
        "id": ext_id,
        "created_by_ref": EXCHANGE_IDENTITY_ID,
        "created": FIXED_CREATED,
        "modified": FIXED_CREATED,
        "name": name,
        "description": description,
        "schema": schema,
        "version": "1.0.0",
        "extension_types": ["new-sdo"],
    }


def request_extension_definition() -> dict[str, Any]:
    """Return the extension definition of the `ctexchange-request` SDO."""
    return _definition(
        REQUEST_EXTENSION_ID,
        "ctexchange request for assistance",
        "A request for assistance from one member organization to another: legal basis, subjects, "
        "urgency, deadline and state.",
        REQUEST_SCHEMA,
    )


def alert_extension_definition() -> dict[str, Any]:
    """Return the extension definition of the `ctexchange-alert` SDO."""
    return _definition(
        ALERT_EXTENSION_ID,
        "ctexchange alert",
        "A notice issued to chosen member organizations, with its validity, subject and state.",
        ALERT_SCHEMA,
    )


def plain(value: Any) -> Any:
    """Return a dataclass, enum, UUID, time or collection as JSON-ready values without nulls."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return stix_time(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple | frozenset | set):
        return [plain(v) for v in value]
    return value


def _present(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop empty strings, empty lists and nulls: STIX forbids empty lists and nulls."""
    return without_nulls({k: v for k, v in obj.items() if v not in ("", [], {}, None)})  # type: ignore[no-any-return]


def request_object(request: AssistanceRequest) -> dict[str, Any]:
    """Return the `ctexchange-request` object of a request for assistance."""
    body = {
        "title": request.title,
        "status": request.status.value,
        "requesting_ref": organization_ref(request.requesting_org_id),
        "requested_ref": organization_ref(request.requested_org_id),
        "legal_basis": request.legal_basis,
        "facts": request.facts,
        "offence": request.offence,
        "assistance": [a.value for a in request.assistance],
        "assistance_detail": request.assistance_detail,
        "subjects": [_present(plain(s)) for s in request.subjects],
        "urgency": request.urgency.value,
        "urgency_justification": request.urgency_justification,
        "deadline": None if request.deadline is None else stix_time(request.deadline),
        "language": request.language,
        "reference": request.reference,
        "sent": None if request.sent_at is None else stix_time(request.sent_at),
        "outcome": None if request.outcome is None else request.outcome.value,
        "reason": request.reason,
    }
    return {
        "type": REQUEST_TYPE,
        "spec_version": SPEC_VERSION,
        "id": f"{REQUEST_TYPE}--{request.id}",
        "created_by_ref": organization_ref(request.requesting_org_id),
        "created": stix_time(request.created_at),
        "modified": stix_time(request.updated_at),
        "object_marking_refs": [TLP_IDS[request.confidentiality]],
        **_present(body),
        "extensions": {REQUEST_EXTENSION_ID: {"extension_type": "new-sdo"}},
    }


def alert_object(alert: Alert, state: str) -> dict[str, Any]:
    """Return the `ctexchange-alert` object of an alert as the caller may see it, in `state` now."""
    content = alert.content
    body = {
        "alert_kind": alert.kind.value,
        "title": content.title,
        "details": content.details,
        "subject": _present(plain(content.subject)),
        "location": None if content.location is None else _present(plain(content.location)),
        "route": [_present(plain(stop)) for stop in content.route],
        "valid_from": stix_time(alert.valid_from),
        "valid_until": stix_time(alert.valid_until),
        "alert_version": alert.version,
        "state": state,
        "cancellation_reason": None if alert.cancellation is None else alert.cancellation.reason,
        "recipient_refs": sorted(organization_ref(o) for o in alert.recipient_org_ids),
    }
    return {
        "type": ALERT_TYPE,
        "spec_version": SPEC_VERSION,
        "id": f"{ALERT_TYPE}--{alert.id}",
        "created_by_ref": organization_ref(alert.org_id),
        "created": stix_time(alert.issued_at),
        "modified": stix_time(alert.updated_at),
        "object_marking_refs": [TLP_IDS[alert.marking]],
        **_present(body),
        "extensions": {ALERT_EXTENSION_ID: {"extension_type": "new-sdo"}},
    }
