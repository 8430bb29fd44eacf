"""What every `roomcast` sub-command shares: the one-line errors, the database opened for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.errors import RoomcastError
from core.settings import Settings, SettingsError, sqlite_path

EXIT_ERROR = 2


class CliError(Exception):
    """A one-line message for the user."""


def expected_errors() -> tuple[type[BaseException], ...]:
    from tortoise.exceptions import BaseORMException

    errors: list[type[BaseException]] = [
        CliError,
        SettingsError,
        RoomcastError,
        BaseORMException,
        OSError,
    ]
    try:
        import asyncpg

        errors += [asyncpg.PostgresError, asyncpg.InterfaceError]
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        pass
    return tuple(errors)


def describe(exc: BaseException) -> str:
    if isinstance(exc, RoomcastError):
        message = exc.message
        if exc.fields:
            details = ", ".join(f"{key}: {value}" for key, value in exc.fields.items())
            message = f"{message} ({details})"
        return message
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def database_label(settings: Settings) -> str:
    """The database as a person would name it: the SQLite file, or the URL sans password."""
    path = sqlite_path(settings.database_url)
    if path is not None:
        return str(path.resolve())
    url = settings.database_url
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        url = f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url


def prepare_sqlite_dir(settings: Settings) -> None:
    path = sqlite_path(settings.database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def missing_table(exc: BaseException) -> str | None:
    text = str(exc)
    for marker in ("no such table: ", "relation "):
        if marker in text and ("no such table" in text or "does not exist" in text):
            return text.split(marker, 1)[1].split()[0].strip('"')
    return None


async def with_database(settings: Settings, work: Callable[[], Awaitable[object]]) -> object:
    """Run `work` with the database open; a database that was never migrated is one clear line.

    Opening an absent SQLite file would silently create an empty one: refuse that instead.
    """
    from server.db import close_database, open_database

    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        raise CliError(f"no database at {path.resolve()}: run `roomcast migrate` first")
    await open_database(settings.database_url)
    try:
        return await work()
    except Exception as exc:
        table = missing_table(exc)
        if table is None:
            raise
        raise CliError(
            f"no such table: {table} in {database_label(settings)}: run `roomcast migrate`"
        ) from None
    finally:
        await close_database()


def refuse_demo_in_production(settings: Settings) -> None:
    if settings.is_production:
        raise CliError(
            "the demo users have published passwords: refusing to create them with "
            "ROOMCAST_ENV=production (make real accounts with `roomcast create-user`)"
        )
