"""Settings refused at start-up: one clear line and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, cwd, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_a_missing_or_weak_secret(tmp_path):
    for secret in ("", "short-secret"):
        done = run_cli(
            "migrate", cwd=tmp_path, ROOMCAST_ENV="production", ROOMCAST_JWT_SECRET=secret
        )
        assert done.returncode == 2
        assert "ROOMCAST_JWT_SECRET" in done.stderr
        assert "Traceback" not in done.stderr
