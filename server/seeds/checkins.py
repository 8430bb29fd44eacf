"""Demo data for checkins (idempotent: skips what already exists)."""

from __future__ import annotations

from datetime import timedelta

from models.checkins import Checkin, Member, MembershipStatus, Presence
from models.common import utcnow
from models.users import User

ALICE = "alice@example.com"
# (name, membership, linked demo user, past visits as (days ago, hours in), inside now?)
DEMO_MEMBERS = (
    ("Alice Example", MembershipStatus.ACTIVE, ALICE, ((1, 1.5), (3, 1.0)), False),
    ("Maria Lopez", MembershipStatus.ACTIVE, None, ((0, 1.0), (2, 2.0)), True),
    ("Tom Berg", MembershipStatus.ACTIVE, None, ((1, 0.75),), False),
    ("Priya Shah", MembershipStatus.ACTIVE, None, (), False),
    ("Frank Frost", MembershipStatus.FROZEN, None, ((20, 1.0),), False),
    ("Eve Lapsed", MembershipStatus.EXPIRED, None, ((60, 1.0),), False),
)


async def seed(users: dict[str, User]) -> None:
    """`users` maps the demo emails (server.demo.DEMO_USERS) to their User rows."""
    now = utcnow()
    for name, membership, email, visits, inside in DEMO_MEMBERS:
        # The name is the demo member's identity: a member that exists is left alone.
        if await Member.filter(name=name).exists():
            continue
        linked = users.get(email) if email else None
        member = await Member.create(
            name=name,
            membership_status=membership,
            user_id=linked.id if linked else None,
            status=Presence.IN if inside else Presence.OUT,
        )
        for days_ago, hours in visits:
            arrived = now - timedelta(days=days_ago, hours=hours + 2)
            await Checkin.create(
                member_id=member.id,
                checked_in_at=arrived,
                checked_out_at=arrived + timedelta(hours=hours),
            )
        if inside:
            await Checkin.create(member_id=member.id, checked_in_at=now - timedelta(minutes=40))
