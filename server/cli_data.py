"""`roomcast` sub-commands on the database: migrate, seed-demo, create-user, token, send-alert."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from core.settings import load_settings
from server.cli_support import (
    CliError,
    database_label,
    prepare_sqlite_dir,
    refuse_demo_in_production,
    with_database,
)


def cmd_migrate(args: argparse.Namespace) -> int:
    from server.migrate import apply_migrations

    settings = load_settings()
    prepare_sqlite_dir(settings)
    applied = asyncio.run(apply_migrations(settings.database_url))
    print(f"database: {database_label(settings)}")
    if applied:
        for name in applied:
            print(f"applied {name}")
    else:
        print("database is up to date")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from server.demo import seed_demo

    settings = load_settings()
    refuse_demo_in_production(settings)
    created = asyncio.run(with_database(settings, seed_demo))
    for demo in created:
        print(f"created {demo.email} (password {demo.password})")
    if not created:
        print("demo data already present")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from models.users import create_user

    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            raise CliError("no --password given and stdin is not a terminal to ask for one")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise CliError("the passwords do not match")
    settings = load_settings()

    async def work():
        return await create_user(
            email=args.email,
            password=password,
            first_name=args.first_name,
            last_name=args.last_name,
            is_staff=args.staff,
        )

    user = asyncio.run(with_database(settings, work))
    print(user.id)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from models.logins import start_login
    from models.users import User
    from server.errors import NotFound

    settings = load_settings()
    if args.ttl is not None:
        if args.ttl < 1:
            raise CliError("--ttl must be at least 1 second")
        settings = settings.with_changes(access_token_ttl=args.ttl)
    who = args.user.strip()

    async def work():
        if who.isdigit():
            user = await User.get_or_none(id=int(who))
        else:
            user = await User.get_or_none(email=who.lower())
        if user is None:
            raise NotFound("user", message=f"no user {who!r}")
        if not user.is_active:
            raise CliError(f"user {user.email} is deactivated")
        return await start_login(settings=settings, user=user, kind="cli")

    pair = asyncio.run(with_database(settings, work))
    print(pair.access_token)
    return 0


def cmd_send_alert(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from models.alerts import NewAlert
    from server.errors import invalid_from
    from server.send_alert import send_through_redis, send_through_server

    settings = load_settings()
    user_id = asyncio.run(with_database(settings, lambda: _user_id_of(args.user)))
    try:
        payload = NewAlert.model_validate(
            {
                "user_id": user_id,
                "breach_id": args.breach_id,
                "title": args.title,
                "severity": args.severity.upper(),
                "confidence": args.confidence,
            }
        )
    except ValidationError as exc:
        raise invalid_from(exc) from None
    if settings.redis_url:
        alert = asyncio.run(send_through_redis(settings, payload))
    else:
        url = args.server_url or f"http://{settings.host}:{settings.port}"
        alert = asyncio.run(send_through_server(settings, payload, url))
    print(f"alert {alert['id']} sent to user {alert['user_id']} ({args.user.strip()})")
    return 0


async def _user_id_of(who: str) -> int:
    """A user id from an id or an email, so that `send-alert alice@example.com` works."""
    from models.users import User
    from server.errors import NotFound

    who = who.strip()
    if who.isdigit():
        user = await User.get_or_none(id=int(who))
    else:
        user = await User.get_or_none(email=who.lower())
    if user is None:
        raise NotFound("user", message=f"user {who!r} not found (give an email or a user id)")
    return user.id
