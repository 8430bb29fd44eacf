"""What a newcomer meets first, run as the real `roomcast` command: one clear line per mistake.

Each test is the exact command and the exact message (issue 15's "no sharp edges").
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from server.settings import load_settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = "sharp-edges-secret-" + "y" * 40


def roomcast(cwd, *args, env=None, timeout=90) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env["ROOMCAST_JWT_SECRET"] = SECRET
    full_env["ROOMCAST_DATA_DIR"] = str(cwd / "data")
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


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_bad_log_level_names_the_variable_and_the_choices(tmp_path):
    result = roomcast(tmp_path, "serve", env={"ROOMCAST_LOG_LEVEL": "LOUD"})
    assert one_line(result) == (
        "roomcast serve: error: ROOMCAST_LOG_LEVEL must be one of "
        "DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'"
    )


def test_an_unsupported_database_names_the_variable_and_the_choices(tmp_path):
    result = roomcast(tmp_path, "migrate", env={"ROOMCAST_DATABASE_URL": "mysql://x"})
    assert one_line(result) == (
        "roomcast migrate: error: ROOMCAST_DATABASE_URL must be sqlite://PATH or "
        "postgres://USER@HOST:PORT/DB, got 'mysql://x'"
    )


def test_a_bad_redis_url_names_the_variable(tmp_path):
    result = roomcast(tmp_path, "migrate", env={"ROOMCAST_REDIS_URL": "localhost:6379"})
    assert one_line(result) == (
        "roomcast migrate: error: ROOMCAST_REDIS_URL must be redis://HOST:PORT/DB "
        "(or rediss://, unix://), got 'localhost:6379'"
    )


def test_a_busy_port_stops_serve_before_migrating_or_printing_passwords(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = roomcast(tmp_path, "serve", "--demo", "--port", str(port))
    assert one_line(result) == (
        f"roomcast serve: error: port {port} on 127.0.0.1 is already in use (another "
        "`roomcast serve`?): stop it, or choose another port with --port or ROOMCAST_PORT"
    )
    assert "password" not in result.stdout
    assert not (tmp_path / "data" / "roomcast.sqlite3").exists(), "migrated anyway"


def test_serve_says_which_database_and_where_it_listens(tmp_path):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    full_env.update(
        PYTHONPATH=ROOT,
        ROOMCAST_JWT_SECRET=SECRET,
        ROOMCAST_DATA_DIR=str(tmp_path / "data"),
        ROOMCAST_PORT="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        cwd=tmp_path,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("listening on "):
                break
        database = tmp_path / "data" / "roomcast.sqlite3"
        assert f"database: {database}" in lines, lines
        listening = [line for line in lines if line.startswith("listening on http://127.0.0.1:")]
        assert len(listening) == 1, lines
        url = listening[0].split()[2]
        with urllib.request.urlopen(url + "health", timeout=10) as answer:
            assert answer.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_default_database_is_the_same_from_any_directory(tmp_path, monkeypatch):
    env = {"ROOMCAST_JWT_SECRET": SECRET}
    monkeypatch.chdir(tmp_path)
    here = load_settings(env)
    monkeypatch.chdir("/")
    there = load_settings(env)
    assert here.database_url == there.database_url
    assert here.database_url == f"sqlite://{os.path.join(ROOT, '.roomcast', 'roomcast.sqlite3')}"


def test_a_command_before_migrate_says_so_and_creates_nothing(tmp_path):
    result = roomcast(tmp_path, "token", "alice@example.com")
    database = tmp_path / "data" / "roomcast.sqlite3"
    assert one_line(result) == (
        f"roomcast token: error: no database at {database}: run `roomcast migrate` first"
    )
    assert not database.exists()


def test_a_missing_table_names_the_database_and_the_fix(tmp_path):
    database = tmp_path / "data" / "roomcast.sqlite3"
    database.parent.mkdir()
    sqlite3.connect(database).close()  # an empty file: not migrated
    result = roomcast(tmp_path, "token", "alice@example.com")
    assert one_line(result) == (
        f"roomcast token: error: no such table: users in {database}: run `roomcast migrate`"
    )


def test_send_alert_takes_an_email_or_an_id(tmp_path):
    assert roomcast(tmp_path, "migrate").returncode == 0
    assert roomcast(tmp_path, "seed-demo").returncode == 0
    redis = {
        "ROOMCAST_REDIS_URL": "redis://127.0.0.1:6379/0",
        "ROOMCAST_REDIS_PREFIX": f"sharp-{uuid.uuid4().hex[:8]}",
    }
    by_email = roomcast(tmp_path, "send-alert", "alice@example.com", "--title", "T", env=redis)
    assert by_email.returncode == 0, by_email.stderr
    alice = by_email.stdout.split("sent to user ")[1].split()[0]
    assert by_email.stdout.strip().endswith(f"sent to user {alice} (alice@example.com)")
    by_id = roomcast(tmp_path, "send-alert", alice, "--title", "T", env=redis)
    assert by_id.returncode == 0, by_id.stderr
    assert f"sent to user {alice} ({alice})" in by_id.stdout
    nobody = roomcast(tmp_path, "send-alert", "nobody@example.com", "--title", "T", env=redis)
    assert one_line(nobody) == (
        "roomcast send-alert: error: user 'nobody@example.com' not found "
        "(give an email or a user id)"
    )


@pytest.mark.parametrize("command", [["seed-demo"], ["serve", "--demo", "--port", "0"]])
def test_production_refuses_the_demo_passwords(tmp_path, command):
    production = {"ROOMCAST_ENV": "production", "ROOMCAST_JWT_SECRET": secrets.token_urlsafe(48)}
    result = roomcast(tmp_path, *command, env=production)
    assert one_line(result) == (
        f"roomcast {command[0]}: error: the demo users have published passwords: refusing to "
        "create them with ROOMCAST_ENV=production (make real accounts with "
        "`roomcast create-user`)"
    )
    assert not (tmp_path / "data" / "roomcast.sqlite3").exists()
