"""The `roomcast` command line, run as a real subprocess in a temporary working directory."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import pytest

from server import auth

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = "cli-test-secret-" + "x" * 40
PG_SERVER = os.environ.get("ROOMCAST_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


def run_cli(cwd, *args, env=None, timeout=60) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env["ROOMCAST_JWT_SECRET"] = SECRET
    full_env["ROOMCAST_DATA_DIR"] = str(cwd)  # the default would be the checkout's .roomcast/
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_migrate_sqlite_is_idempotent(tmp_path):
    first = run_cli(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert "applied 0_" in first.stdout
    assert (tmp_path / "roomcast.sqlite3").exists()
    second = run_cli(tmp_path, "migrate")
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout


def test_create_user_then_token(tmp_path):
    assert run_cli(tmp_path, "migrate").returncode == 0
    created = run_cli(tmp_path, "create-user", "Carol@Example.com", "--password", "carol-pass-1")
    assert created.returncode == 0, created.stderr
    user_id = int(created.stdout.strip())

    again = run_cli(tmp_path, "create-user", "carol@example.com", "--password", "carol-pass-1")
    assert again.returncode == 2
    assert "already registered" in again.stderr
    assert "Traceback" not in again.stderr

    for who in ("carol@example.com", str(user_id)):
        token = run_cli(tmp_path, "token", who, "--ttl", "120")
        assert token.returncode == 0, token.stderr
        claims = auth.verify(SECRET, token.stdout.strip(), kinds=(auth.ACCESS,))
        assert claims.user_id == user_id

    missing = run_cli(tmp_path, "token", "nobody@example.com")
    assert missing.returncode == 2
    assert missing.stdout == ""


def test_create_user_without_password_or_tty_fails(tmp_path):
    assert run_cli(tmp_path, "migrate").returncode == 0
    result = run_cli(tmp_path, "create-user", "dave@example.com")
    assert result.returncode == 2
    assert "password" in result.stderr


def test_bad_database_url_is_one_line(tmp_path):
    result = run_cli(tmp_path, "migrate", env={"ROOMCAST_DATABASE_URL": "nosuchdb://x"})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_seed_demo_is_idempotent(tmp_path):
    assert run_cli(tmp_path, "migrate").returncode == 0
    first = run_cli(tmp_path, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "admin@example.com" in first.stdout
    second = run_cli(tmp_path, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert "already present" in second.stdout


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncio.wait_for(
        asyncpg.connect(PG_SERVER.replace("postgres://", "postgresql://", 1)), 10
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def fresh_pg_database():
    name = f"roomcast_cli_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_migrate_postgres(tmp_path, fresh_pg_database):
    env = {"ROOMCAST_DATABASE_URL": fresh_pg_database}
    first = run_cli(tmp_path, "migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "applied 0_" in first.stdout
    second = run_cli(tmp_path, "migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    created = run_cli(
        tmp_path, "create-user", "pg@example.com", "--password", "pg-pass-123", "--staff", env=env
    )
    assert created.returncode == 0, created.stderr
    token = run_cli(tmp_path, "token", "pg@example.com", env=env)
    assert token.returncode == 0, token.stderr
    claims = auth.verify(SECRET, token.stdout.strip(), kinds=(auth.ACCESS,))
    assert claims.user_id == int(created.stdout)
