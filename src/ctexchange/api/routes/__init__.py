"""The /v1 routes, one module per area; `ROUTERS` lists them in the order `create_app` includes them."""

from __future__ import annotations

from fastapi import APIRouter

from ctexchange.api.routes import audit, collections, content, health, members, screening, signals

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    members.router,
    collections.router,
    signals.router,
    screening.router,
    content.router,
    audit.router,
)
