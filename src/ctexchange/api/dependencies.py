"""What every route needs from the request: the exchange the app holds and the request's id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ctexchange.api.middleware import request_id_of
from ctexchange.errors import StoreUnavailable
from ctexchange.service.exchange import Exchange


async def get_exchange(request: Request) -> Exchange:
    """Return the exchange of the app (given to `create_app`, or opened by its lifespan)."""
    exchange = getattr(request.app.state, "exchange", None)
    if not isinstance(exchange, Exchange):
        raise StoreUnavailable("the exchange is not open: the app's lifespan has not started")
    return exchange


async def get_request_id(request: Request) -> str:
    """Return the id `RequestIdMiddleware` gave this request."""
    return request_id_of(request.scope)


ExchangeDep = Annotated[Exchange, Depends(get_exchange)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
