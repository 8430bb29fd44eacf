"""Liveness, readiness and Prometheus metrics (outside /api/v1, no auth)."""

from __future__ import annotations

import asyncio

from sanic import Blueprint, Request
from sanic.response import raw

from server.api.openapi import doc
from server.api.schemas import Health, Ready
from server.db import ping_database
from server.http import reply

bp = Blueprint("health")


@bp.get("/health")
@doc("health", ok=Health, auth=None)
async def health(request: Request):
    """Liveness: the process answers; no I/O."""
    return reply({"status": "ok"})


@bp.get("/ready")
@doc("health", ok=Ready, auth=None)
async def ready(request: Request):
    """Readiness: the database and (if configured) Redis answer, and the node hears its own
    heartbeat through the bus (`checks.bus`, docs/cluster.md)."""
    rt = request.app.ctx.rt
    checks = {"database": "ok", "redis": "not configured"}
    try:
        await asyncio.wait_for(ping_database(), 3)
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}: {exc}"[:200]
    if rt.redis is not None:
        try:
            await asyncio.wait_for(rt.redis.ping(), 3)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}: {exc}"[:200]
        bus_check = getattr(rt.sio.manager, "bus_check", None)
        if bus_check is not None:
            checks["bus"] = bus_check()
    healthy = all(v in ("ok", "not configured") for v in checks.values())
    return reply(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@bp.get("/metrics")
@doc("health", text_answer="Prometheus text exposition format", auth=None)
async def metrics(request: Request):
    """Prometheus text format."""
    m = request.app.ctx.rt.metrics
    return raw(m.render(), content_type=m.content_type)
