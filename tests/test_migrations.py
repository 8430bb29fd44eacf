"""The committed migrations build exactly the schema the models describe, on both databases.

A model change without its migration fails here.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import asyncpg

from tests.harness import create_pg_database, create_schema, drop_pg_database, require


def run_cli(*args: str, cwd, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def migrate(database_url: str, cwd) -> None:
    done = run_cli(
        "migrate", cwd=cwd, ROOMCAST_DATABASE_URL=database_url, ROOMCAST_DATA_DIR=str(cwd)
    )
    assert done.returncode == 0, done.stderr


def sqlite_columns(path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as db:
        tables = [
            r[0]
            for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if r[0] not in ("aerich", "sqlite_sequence")
        ]
        return {t: {row[1] for row in db.execute(f'PRAGMA table_info("{t}")')} for t in tables}


async def pg_columns(url: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'aerich'"
        )
    finally:
        await conn.close()
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    return columns


async def test_sqlite_migrations_match_the_models(tmp_path):
    migrated, generated = tmp_path / "migrated.sqlite3", tmp_path / "generated.sqlite3"
    migrate(f"sqlite://{migrated}", tmp_path)
    create_schema(f"sqlite://{generated}")
    assert sqlite_columns(migrated) == sqlite_columns(generated)


async def test_postgres_migrations_match_the_models(tmp_path):
    await require("postgres")
    names = []
    try:
        name_a, migrated = await create_pg_database()
        names.append(name_a)
        name_b, generated = await create_pg_database()
        names.append(name_b)
        migrate(migrated, tmp_path)
        create_schema(generated)
        assert await pg_columns(migrated) == await pg_columns(generated)
    finally:
        for name in names:
            await drop_pg_database(name)
