# ruff: noqa: E501 (one demo alert per line reads best)
"""Demo data for alerts (idempotent: an alert is matched by its user and breach_id)."""

from __future__ import annotations

from datetime import timedelta

from models.alerts import Alert, create_alert, mark_read
from models.common import utcnow
from models.users import User

# (email, breach_id, title, severity, confidence, hours ago, already read)
DEMO_ALERTS = (
    ("alice@example.com", "demo-paste-2026", "Your password appeared in a public paste", "HIGH", 0.92, 2, False),
    ("alice@example.com", "demo-forum-leak", "Email found in a forum database leak", "MEDIUM", 0.7, 30, False),
    ("alice@example.com", "demo-old-breach", "Old shop breach lists your email", "LOW", 0.55, 200, True),
    ("bob@example.com", "demo-cred-stuffing", "Login attempts with your leaked credentials", "CRITICAL", 0.98, 1, False),
)  # fmt: skip


async def seed(users: dict[str, User]) -> None:
    """`users` maps the demo emails (server.demo.DEMO_USERS) to their User rows."""
    now = utcnow()
    for email, breach_id, title, severity, confidence, hours, read in DEMO_ALERTS:
        user = users.get(email)
        if user is None or await Alert.filter(user_id=user.id, breach_id=breach_id).exists():
            continue
        alert = await create_alert(
            user_id=user.id,
            breach_id=breach_id,
            title=title,
            severity=severity,
            confidence=confidence,
            detected_at=now - timedelta(hours=hours),
        )
        if read:
            await mark_read(alert_id=alert.id, user_id=user.id)
