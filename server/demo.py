"""Demo data for `roomcast serve --demo` and `roomcast seed-demo`.

`seed_demo()` is idempotent: it skips whatever already exists, so it can run on every start.
Each domain's demo data lives in `server/seeds/<domain>.py` as an idempotent
`async def seed(users)`, called after the users exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.users import User, create_user
from server.seeds import alerts, billing, chat, checkins, dns


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    first_name: str
    last_name: str
    is_staff: bool = False


DEMO_USERS = (
    DemoUser("admin@example.com", "admin-password", "Ada", "Admin", is_staff=True),
    DemoUser("alice@example.com", "alice-password", "Alice", "Example"),
    DemoUser("bob@example.com", "bob-password", "Bob", "Example"),
)


async def _seed_users() -> list[DemoUser]:
    created = []
    for demo in DEMO_USERS:
        if await User.filter(email=demo.email).exists():
            continue
        await create_user(
            email=demo.email,
            password=demo.password,
            first_name=demo.first_name,
            last_name=demo.last_name,
            is_staff=demo.is_staff,
        )
        created.append(demo)
    return created


async def seed_demo() -> list[DemoUser]:
    """Create the demo data that is missing (the database must be open); return new users."""
    created = await _seed_users()
    users = {u.email: u for u in await User.filter(email__in=[d.email for d in DEMO_USERS])}
    for domain in (billing, dns, chat, checkins, alerts):
        await domain.seed(users)
    return created


def demo_table(url: str) -> str:
    """The text printed on start: where to go and how to sign in."""
    width = max(len(d.email) for d in DEMO_USERS)
    lines = [f"Roomcast demo at {url}", "", f"  {'email':<{width}}  {'password':<16}  role"]
    for d in DEMO_USERS:
        role = "staff" if d.is_staff else "user"
        lines.append(f"  {d.email:<{width}}  {d.password:<16}  {role}")
    lines.append("  (passwords of users that existed before this start were not changed)")
    return "\n".join(lines)
