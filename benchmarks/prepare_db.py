"""A template SQLite database for the product-path scenarios: real users, real logins, tokens.

`python -m benchmarks.prepare_db --db DIR/roomcast.sqlite3 --users 1000 --tokens DIR/tokens.json`

Registering 1000 users over REST costs 1000 argon2 hashes (minutes on this machine), and the
benchmark is about delivering events, not hashing passwords. So the users are inserted
directly with ONE shared password hash, and each gets a Login row plus an access token issued
by `server.auth.issue`, the same two steps as `models.logins.start_login`. The server then
checks these tokens exactly as it checks a real sign-in (signature, expiry, login row, user).
The schema comes from `Tortoise.generate_schemas()` (like the tests), so models that have no
migration yet (e.g. /chat while it is being built) are present too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from pathlib import Path

from tortoise import Tortoise

from server import auth
from server.db import close_database, open_database

STAFF_EMAIL = "bench-staff@example.com"
TOKEN_TTL = 6 * 3600  # longer than any run: a token must not expire mid-measurement


async def prepare(db_path: Path, users: int, secret: str) -> dict:
    from models.logins import Login
    from models.users import User, _hasher

    await open_database(f"sqlite://{db_path}", create=True)
    try:
        await Tortoise.generate_schemas()
        password_hash = _hasher.hash("bench-password")
        await User.create(email=STAFF_EMAIL, password_hash=password_hash, is_staff=True)
        await User.bulk_create(
            [
                User(
                    email=f"bench-{i}@example.com", password_hash=password_hash, first_name=f"U{i}"
                )
                for i in range(users)
            ],
            batch_size=500,
        )
        rows = await User.all().order_by("id").values_list("id", "is_staff")
        logins, tokens = [], []
        for user_id, is_staff in rows:
            login_id = uuid.uuid4().hex
            logins.append(Login(id=login_id, user_id=user_id, kind="bench"))
            token, _ = auth.issue(
                secret, user_id=user_id, kind=auth.ACCESS, login_id=login_id, ttl=TOKEN_TTL
            )
            tokens.append({"id": user_id, "token": token, "staff": is_staff})
        await Login.bulk_create(logins, batch_size=500)
    finally:
        await close_database()
    staff = next(t for t in tokens if t["staff"])
    return {"staff": staff, "users": [t for t in tokens if not t["staff"]]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="SQLite file to (re)create")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--secret", required=True, help="ROOMCAST_JWT_SECRET of the server")
    parser.add_argument("--tokens", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    args.db.unlink(missing_ok=True)  # always a fresh database
    result = asyncio.run(prepare(args.db, args.users, args.secret))
    args.tokens.write_text(json.dumps(result))
    print(f"prepared {len(result['users'])} users + 1 staff in {args.db}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
