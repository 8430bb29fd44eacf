"""Write the next migration for both dialects: `python migrations/make.py NAME`.

Automates docs/migrations.md steps 2-4. aerich writes SQL for the database it is pointed at, so
this runs aerich twice, on a scratch SQLite file and on a scratch PostgreSQL database, each
brought to the current head first, and merges the two files into one migration whose
`upgrade`/`downgrade` pick the SQL by dialect. Read the result before committing: aerich cannot
express every change on SQLite (altering a column needs a hand-written table rebuild).

PostgreSQL comes from ROOMCAST_MAKE_PG (default postgres://postgres@127.0.0.1:5432/postgres);
a scratch database is created there and dropped afterwards.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aerich import Command  # noqa: E402

from server.db import MIGRATIONS_DIR, tortoise_config  # noqa: E402
from server.migrate import APP  # noqa: E402

TEMPLATE = """from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


# Written by aerich for SQLite and again for PostgreSQL, merged by migrations/make.py
# (see docs/migrations.md).
SQL = {{
    "sqlite": {sql_sqlite},
    "postgres": {sql_pg},
}}

DOWNGRADE_SQL = {{
    "sqlite": {down_sqlite},
    "postgres": {down_pg},
}}


async def upgrade(db: BaseDBAsyncClient) -> str:
    dialect = db.capabilities.dialect
    if dialect not in SQL:
        raise RuntimeError(f"no SQL for the {{dialect}} dialect in this migration")
    return SQL[dialect]


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWNGRADE_SQL[db.capabilities.dialect]


MODELS_STATE = (
    {state}
)
"""


def _generate(database_url: str, name: str, workdir: Path) -> Path:
    """Bring a scratch database to head, then let aerich write the next migration there.

    Each step runs in its own process: Tortoise keeps its connections in process-wide state
    and aerich reads the last applied state from the database when its Command opens.
    """
    location = workdir / "migrations"
    shutil.copytree(MIGRATIONS_DIR / APP, location / APP)
    for step in ("upgrade", "migrate"):
        command = [sys.executable, "-W", "ignore", __file__, f"--{step}"]
        subprocess.run(
            [*command, database_url, name, str(location)],
            check=True,
            cwd=ROOT,
        )
    written = sorted((location / APP).glob(f"*_{name}.py"))
    if not written:
        raise SystemExit("no model changes: nothing to write")
    return written[-1]


async def _aerich(step: str, database_url: str, name: str, location: str) -> None:
    command = Command(tortoise_config(database_url), app=APP, location=location)
    async with command:
        if step == "upgrade":
            await command.upgrade(run_in_transaction=True)
        else:
            await command.migrate(name)


def _returned_sql(tree: ast.Module, function: str) -> str:
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef) and node.name == function:
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Constant):
                    return stmt.value.value
    raise SystemExit(f"aerich's file has no literal SQL in {function}()")


def _drops_children_first(downgrade: str, upgrade: str) -> str:
    """Order a downgrade's DROP TABLEs so that a table goes before the tables it references.

    aerich lists them in no dependable order, and PostgreSQL refuses to drop a referenced table.
    """
    statements = [part.strip() for part in downgrade.split(";") if part.strip()]
    if not statements or not all(part.upper().startswith("DROP TABLE") for part in statements):
        return downgrade
    tables = {re.findall(r'"(\w+)"', part)[0]: part for part in statements}
    refs = {
        name: set(re.findall(r'REFERENCES "(\w+)"', body)) & tables.keys() - {name}
        for name, body in re.findall(
            r'CREATE TABLE IF NOT EXISTS "(\w+)" \((.*?)\n\);', upgrade, flags=re.S
        )
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        # Next: a table no remaining table references.
        remaining = [t for t in tables if t not in ordered]
        free = [t for t in remaining if not any(t in refs.get(o, ()) for o in remaining if o != t)]
        ordered.append((free or remaining)[0])
    return "\n".join(f"{tables[name]};" for name in ordered)


def _block(sql: str) -> str:
    """SQL as a readable triple-quoted literal (aerich indents its first line oddly)."""
    lines = [re.sub(r"^\s+(?=(CREATE|DROP|ALTER|COMMENT) )", "", line) for line in sql.splitlines()]
    text = "\n" + "\n".join(lines).strip() + "\n"
    if '"""' in text or "\\" in text:
        return repr(text)
    return '"""' + text + '"""'


def _state(source: str, tree: ast.Module) -> str:
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MODELS_STATE":
            return ast.get_source_segment(source, node.value)
    raise SystemExit("aerich's file has no MODELS_STATE")


async def _pg_scratch(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"roomcast_mig_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


async def _pg_drop(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def main(name: str) -> Path:
    admin = os.environ.get("ROOMCAST_MAKE_PG", "postgres://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory(prefix="roomcast-mig-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "sqlite").mkdir()
        (tmp_path / "pg").mkdir()
        print("generating the SQLite version ...", flush=True)
        sqlite_file = _generate(
            f"sqlite://{tmp_path / 'scratch.sqlite3'}", name, tmp_path / "sqlite"
        )
        print("generating the PostgreSQL version ...", flush=True)
        pg_name, pg_url = asyncio.run(_pg_scratch(admin))
        try:
            pg_file = _generate(pg_url, name, tmp_path / "pg")
        finally:
            asyncio.run(_pg_drop(admin, pg_name))
        sqlite_src, pg_src = sqlite_file.read_text(), pg_file.read_text()
        sqlite_tree, pg_tree = ast.parse(sqlite_src), ast.parse(pg_src)
        merged = TEMPLATE.format(
            sql_sqlite=_block(_returned_sql(sqlite_tree, "upgrade")),
            sql_pg=_block(_returned_sql(pg_tree, "upgrade")),
            down_sqlite=_block(
                _drops_children_first(
                    _returned_sql(sqlite_tree, "downgrade"), _returned_sql(sqlite_tree, "upgrade")
                )
            ),
            down_pg=_block(
                _drops_children_first(
                    _returned_sql(pg_tree, "downgrade"), _returned_sql(pg_tree, "upgrade")
                )
            ),
            state=_state(pg_src, pg_tree),
        )
        target = MIGRATIONS_DIR / APP / pg_file.name
        target.write_text(merged)
    print(f"wrote {target.relative_to(ROOT)}: read its SQL, then run the migration tests")
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a short snake_case name, e.g. add_rooms")
    if len(sys.argv) == 5 and sys.argv[1] in ("--upgrade", "--migrate"):  # one aerich step
        asyncio.run(_aerich(sys.argv[1][2:], *sys.argv[2:]))
    else:
        main(parser.parse_args().name)
