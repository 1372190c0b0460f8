"""The console's pages, one module per area; `ROUTERS` lists them in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from ctexchange.api.console.pages import (
    admin,
    alerts,
    audit,
    cases,
    content,
    dashboard,
    reports,
    requests,
    screening,
    session,
    signals,
)

ROUTERS: tuple[APIRouter, ...] = (
    session.router,
    dashboard.router,
    screening.router,
    content.router,
    cases.router,
    requests.router,
    alerts.router,
    signals.router,
    audit.router,
    reports.router,
    admin.router,
)
