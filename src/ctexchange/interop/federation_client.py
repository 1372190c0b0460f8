"""A TAXII 2.1 client for federation: collections, pages of objects, POST and status, over plain HTTP.

Decisions:
- Plain HTTP with the standard library (`urllib`), not `taxii2-client`: federation needs the
  `X-TAXII-Date-Added-Last` header of each page (the checkpoint), the `next` value as the server wrote
  it, explicit timeouts, no redirects (a key must never be replayed to another host) and a cap on what
  one answer may weigh; `taxii2-client` hides the headers and depends on `requests`. The test suite
  still checks our server with `taxii2-client`, and the federation tests run this client against it.
- The key is sent as `Authorization: Bearer <key>` and is never part of an error message.
- The API root URL must be `https://`, or `http://` to a loopback host (tests, a tunnel on the same
  machine): a key sent in clear over a network is a key given away.
- Errors from the remote become the exchange's own errors, naming the remote: 401 and 403 are
  Forbidden (the remote refused the key or the action), 404 NotFound, 400/413/415/422 InvalidInput,
  anything else (and a remote that cannot be reached or answers something that is not TAXII JSON)
  StoreUnavailable.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ctexchange.errors import CtxError, Forbidden, InvalidInput, NotFound, StoreUnavailable

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
MAX_ANSWER_BYTES = 64 * 1024 * 1024
TIMEOUT_S = 60.0
LOOPBACK_NAMES = frozenset({"localhost"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the key must go to the API root it was given for, nowhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def check_root_url(raw: str, field: str = "url") -> str:
    """Return a TAXII API root URL with a trailing slash; InvalidInput for one the key may not travel to."""
    text = raw.strip()
    parts = urllib.parse.urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise InvalidInput.expected(
            field,
            "an http(s) URL of a TAXII API root without credentials, such as https://host/taxii2/api/",
            raw,
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise InvalidInput.expected(field, "an https:// URL (http:// only to a loopback host)", raw)
    if parts.query or parts.fragment:
        raise InvalidInput.expected(field, "a URL without query or fragment", raw)
    return text if text.endswith("/") else text + "/"


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Envelope:
    """One page of a TAXII collection: its objects, whether more follow, `next`, and the date-added range."""

    objects: tuple[dict[str, Any], ...]
    more: bool
    next: str | None
    date_added_last: str | None


class TaxiiClient:
    """Talks to one remote API root with one key."""

    def __init__(self, name: str, root_url: str, key: str, timeout_s: float = TIMEOUT_S) -> None:
        self.name = name
        self.root_url = check_root_url(root_url)
        self.key = key
        self.timeout_s = timeout_s

    def collections(self) -> list[dict[str, Any]]:
        """Return the remote's collection resources the key may see."""
        body, _ = self._call("GET", "collections/")
        found = body.get("collections", [])
        if not isinstance(found, list) or not all(isinstance(c, dict) and "id" in c for c in found):
            raise self._unusable("collections", "a list of collection resources")
        return found

    def objects(
        self, collection_id: str, added_after: str | None, next_page: str | None, limit: int
    ) -> Envelope:
        """Return one page of a collection's objects (latest versions), from `added_after` or `next`."""
        query: dict[str, str] = {"limit": str(limit)}
        if added_after is not None:
            query["added_after"] = added_after
        if next_page is not None:
            query["next"] = next_page
        path = f"collections/{urllib.parse.quote(collection_id, safe='')}/objects/"
        body, headers = self._call("GET", path + "?" + urllib.parse.urlencode(query))
        objects = body.get("objects", [])
        if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
            raise self._unusable("objects", "a list of STIX objects")
        next_value = body.get("next")
        return Envelope(
            tuple(objects),
            body.get("more") is True,
            next_value if isinstance(next_value, str) and next_value else None,
            headers.get("x-taxii-date-added-last"),
        )

    def object(self, collection_id: str, object_id: str) -> dict[str, Any] | None:
        """Return the latest version of one object of a collection, or None when the remote has none."""
        path = (
            f"collections/{urllib.parse.quote(collection_id, safe='')}/objects/"
            f"{urllib.parse.quote(object_id, safe='')}/"
        )
        try:
            body, _ = self._call("GET", path)
        except NotFound:
            return None
        found = body.get("objects", [])
        if not isinstance(found, list) or not found or not isinstance(found[-1], dict):
            return None
        latest: dict[str, Any] = found[-1]
        return latest

    def add_objects(self, collection_id: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
        """POST an envelope to a collection; return the status resource."""
        path = f"collections/{urllib.parse.quote(collection_id, safe='')}/objects/"
        data = json.dumps({"objects": objects}, ensure_ascii=False).encode("utf-8")
        body, _ = self._call("POST", path, data)
        return body

    def status(self, status_id: str) -> dict[str, Any]:
        """Return a status resource."""
        body, _ = self._call("GET", f"status/{urllib.parse.quote(status_id, safe='')}/")
        return body

    def _call(
        self, method: str, path: str, data: bytes | None = None
    ) -> tuple[dict[str, Any], Mapping[str, str]]:
        headers = {"Accept": TAXII_MEDIA_TYPE, "Authorization": f"Bearer {self.key}"}
        if data is not None:
            headers["Content-Type"] = TAXII_MEDIA_TYPE
        request = urllib.request.Request(  # noqa: S310  (the scheme is checked: http(s) only)
            self.root_url + path, data=data, headers=headers, method=method
        )
        try:
            with _OPENER.open(request, timeout=self.timeout_s) as answer:
                raw = answer.read(MAX_ANSWER_BYTES + 1)
                got = {k.lower(): v for k, v in answer.headers.items()}
        except urllib.error.HTTPError as exc:
            raise self._error(exc) from None
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(
                f"remote '{self.name}' at {self.root_url} cannot be reached ({type(exc).__name__})",
                field="remote",
            ) from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise self._unusable(path, f"an answer of at most {MAX_ANSWER_BYTES} bytes")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self._unusable(path, "TAXII JSON") from None
        if not isinstance(body, dict):
            raise self._unusable(path, "a JSON object")
        return body, got

    def _error(self, exc: urllib.error.HTTPError) -> CtxError:
        description = ""
        try:
            body = json.loads(exc.read(65536).decode("utf-8"))
            if isinstance(body, dict):
                description = " ".join(str(body.get("description", "")).split())[:300]
        except (OSError, UnicodeDecodeError, ValueError):
            pass
        said = f": {description}" if description else ""
        message = f"remote '{self.name}' answered {exc.code}{said}"
        if exc.code in (401, 403):
            return Forbidden(message, field="remote")
        if exc.code == 404:
            return NotFound(message, field="remote")
        if exc.code in (400, 413, 415, 422):
            return InvalidInput(message, field="remote")
        return StoreUnavailable(message, field="remote")

    def _unusable(self, what: str, expected: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"remote '{self.name}' answered {what} with something other than {expected}", field="remote"
        )
