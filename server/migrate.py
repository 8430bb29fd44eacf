"""Apply the aerich migrations in <repo>/migrations to a database (SQLite or PostgreSQL).

Why the migration files branch on the dialect: aerich writes plain SQL for the database it
was pointed at (SQLite says INTEGER AUTOINCREMENT / INT booleans / TIMESTAMP, PostgreSQL says
SERIAL / BOOL / TIMESTAMPTZ), yet Roomcast runs on both. Each committed migration therefore
holds the SQL for each dialect in a `SQL = {"sqlite": ..., "postgres": ...}` dict and its
`upgrade(db)` returns `SQL[db.capabilities.dialect]`. We chose that over generating the schema
at run time from the current models (tortoise's schema generator): a migration must describe
the schema *at that step*, not whatever the models look like today, or the next migration
would find its tables already there. The SQL is frozen, reviewable, and what ran on SQLite is
what runs on PostgreSQL, just spelled in its dialect. A migration lacking SQL for the dialect
in use fails loudly. How to add one: docs/migrations.md.

Applying is aerich's own `Command.upgrade`: each pending file runs in a transaction and is
recorded in the `aerich` table, so running it again is a no-op.
"""

from __future__ import annotations

import logging

from aerich import Command

from server.db import MIGRATIONS_DIR, tortoise_config

log = logging.getLogger("roomcast.migrate")

APP = "models"


async def apply_migrations(database_url: str) -> list[str]:
    """Apply every pending migration; return the names of the files applied (maybe none).

    Opens its own Tortoise connections and closes them when done, so call it before
    `server.db.open_database`, not while the database is open.
    """
    command = Command(tortoise_config(database_url), app=APP, location=str(MIGRATIONS_DIR))
    async with command:
        applied = await command.upgrade(run_in_transaction=True)
    for name in applied:
        log.info("applied migration %s", name)
    return applied
