"""GET /v1/health: is the service up, which version, which store. No key needed."""

from __future__ import annotations

from fastapi import APIRouter

from ctexchange import __version__
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import HealthOut

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", summary="Check the service", responses=error_responses(503))
def health(exchange: ExchangeDep) -> HealthOut:
    """Answer `ok` with the version and the store backend. Needs no API key, for load balancers."""
    return HealthOut(status="ok", version=__version__, store=exchange.store.backend)
