"""Upgrade safety of server/fastpath: exact version pins, and nothing swallowed silently."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import tomllib
from pathlib import Path

import httpx
import pytest
import websockets

from server.fastpath import REVIEWED, check_versions
from server.fastpath.swallowed import counts
from tests.conftest import base_env
from tests.test_fastpath import start_node

ROOT = Path(__file__).resolve().parents[1]


def test_the_installed_versions_are_the_reviewed_ones():
    check_versions()  # raises ImportError otherwise (as importing server.fastpath does)


def test_pyproject_pins_exactly_the_reviewed_versions():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^;\s]+)", dep.strip())
        if m:
            pins[m[1]] = m[3]
    assert {dist: pins.get(dist) for dist in REVIEWED} == {
        dist: reviewed for dist, (reviewed, _) in REVIEWED.items()
    }


@pytest.mark.parametrize("dist", sorted(REVIEWED))
def test_a_patch_release_fails_the_import_check_and_names_the_files(dist):
    reviewed, files = REVIEWED[dist]
    bumped = re.sub(r"(\d+)$", lambda m: str(int(m[1]) + 1), reviewed)

    def found(name):
        return bumped if name == dist else REVIEWED[name][0]

    with pytest.raises(ImportError) as err:
        check_versions(found)
    assert f"{dist} {reviewed}, found {bumped}" in str(err.value)
    assert files in str(err.value)


@pytest.fixture
async def node(tmp_path):
    server = await start_node(base_env(ROOMCAST_DATA_DIR=str(tmp_path)))
    yield server
    await server.stop()


def swallowed_total(metrics_text: str, where: str, kind: str) -> float:
    pattern = (
        rf'^roomcast_fastpath_swallowed_errors_total\{{type="{kind}",where="{where}"\}} (\S+)$'
    )
    m = re.search(pattern, metrics_text, re.M)
    return float(m[1]) if m else 0.0


async def test_a_writer_error_closes_the_socket_is_logged_once_and_counted(node, caplog):
    """A packet the writer cannot encode stands in for any exception inside the writer."""
    caplog.set_level(logging.WARNING, logger="roomcast.fastpath")
    ws_url = node.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with httpx.AsyncClient(timeout=5) as http:
        before = swallowed_total(
            (await http.get(f"{node.url}/metrics")).text, "ws_writer", "TypeError"
        )
        first_time = counts[("ws_writer", "TypeError")] == 0
        for _ in range(2):
            async with websockets.connect(ws_url) as raw:
                sid = json.loads((await asyncio.wait_for(raw.recv(), 5))[1:])["sid"]
                await node.runtime.sio.eio.send(sid, {"unserialisable": object()})
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(raw.recv(), 5)
        after = swallowed_total(
            (await http.get(f"{node.url}/metrics")).text, "ws_writer", "TypeError"
        )
    assert after - before == 2
    logged = [r for r in caplog.records if r.name == "roomcast.fastpath"]
    assert len(logged) == (1 if first_time else 0)
    if logged:
        assert "ws_writer" in logged[0].getMessage() and "TypeError" in logged[0].getMessage()
        assert logged[0].exc_info is not None  # with the traceback
