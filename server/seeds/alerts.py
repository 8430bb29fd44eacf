"""Demo data for alerts (idempotent: skips what already exists)."""

from __future__ import annotations

from models.users import User


async def seed(users: dict[str, User]) -> None:
    """`users` maps the demo emails (server.demo.DEMO_USERS) to their User rows."""
