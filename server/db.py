"""The Tortoise configuration shared by the app, the migrations and the tests."""

from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from models import MODEL_MODULES
from models.statements import forget_cached_rows

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def tortoise_config(database_url: str) -> dict:
    return {
        "connections": {"default": database_url},
        "apps": {
            "models": {
                "models": [*MODEL_MODULES, "aerich.models"],
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(database_url: str, *, create: bool = False) -> None:
    # Tortoise caches compiled INSERT/UPDATE SQL per connection *name*; a process that opens
    # another database (the test suite runs SQLite, then PostgreSQL) must drop that cache.
    EXECUTOR_CACHE.clear()
    forget_cached_rows()  # rows cached by models (chat rooms by slug) belong to the last one
    # The global fallback makes the context opened in the lifespan task visible to request
    # and socket tasks, which run outside it.
    await Tortoise.init(
        config=tortoise_config(database_url), _create_db=create, _enable_global_fallback=True
    )


async def close_database() -> None:
    await Tortoise.close_connections()


async def ping_database() -> None:
    conn = Tortoise.get_connection("default")
    await conn.execute_query("SELECT 1")
