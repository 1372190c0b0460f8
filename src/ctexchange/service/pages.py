"""Opaque page cursors: the (created_at, id) of the last item, base64url-encoded."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from uuid import UUID

from ctexchange.errors import InvalidInput


def encode_cursor(after: tuple[datetime, UUID] | None) -> str | None:
    """Return the cursor text for a page position, or None at the end."""
    if after is None:
        return None
    raw = f"{after[0].isoformat()}|{after[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, field: str = "cursor") -> tuple[datetime, UUID] | None:
    """Return the page position of a cursor; raise InvalidInput for one this service did not issue."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        moment, ident = raw.split("|")
        return datetime.fromisoformat(moment), UUID(ident)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput.expected(field, "a cursor returned by a previous page", cursor) from None
