"""The bearer-key dependency: `Authorization: Bearer <key>` becomes the service's `Caller`.

`HTTPBearer(auto_error=False)` declares the scheme in OpenAPI (the Authorize button of /docs) and leaves
every failure to the service: a missing header, another scheme, a malformed, wrong, revoked or expired
key, a deactivated user all raise the same `Unauthenticated`, so the 401 body cannot be used to probe keys.
The check is synchronous (scrypt, store reads), so this is a plain `def` that FastAPI runs in its pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ctexchange.api.dependencies import ExchangeDep, RequestIdDep
from ctexchange.service.context import Caller

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key of the exchange: `Authorization: Bearer ctx_<key id>_<secret>`.",
)


def current_caller(
    exchange: ExchangeDep,
    request_id: RequestIdDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Caller:
    """Return the caller the presented key acts as; raise Unauthenticated for anything unusable."""
    token = None if credentials is None else credentials.credentials
    return exchange.auth.authenticate(token, request_id)


CallerDep = Annotated[Caller, Depends(current_caller)]
