"""The /v1 routes, one module per area; `ROUTERS` lists them in the order `create_app` includes them."""

from __future__ import annotations

from fastapi import APIRouter

from ctexchange.api.routes import (
    alerts,
    audit,
    cases,
    collections,
    content,
    health,
    members,
    reports,
    requests,
    screening,
    signals,
    taxii,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    members.router,
    collections.router,
    signals.router,
    screening.router,
    content.router,
    alerts.router,
    requests.router,
    cases.router,
    reports.router,
    audit.router,
    taxii.router,
    webhooks.router,
)
