"""All REST blueprints: /api/v1/* plus the health endpoints at the root."""

from __future__ import annotations

from sanic import Blueprint

from server.api import alerts, auth, billing, chat, checkins, dashboard, dns, docs, health, users

# Domain resources register here, one module each.
V1_BLUEPRINTS = [auth.bp, users.bp, alerts.bp, billing.bp, dns.bp, chat.bp, checkins.bp]


def blueprints() -> list:
    return [Blueprint.group(*V1_BLUEPRINTS, url_prefix="/api/v1"), health.bp, dashboard.bp, docs.bp]
