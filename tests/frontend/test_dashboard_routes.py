"""The server serves the dashboard, the library and the vendored socket.io-client; nothing else."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from tests.frontend.conftest import CLIENT_DIR


async def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET `path` byte for byte (HTTP clients normalise dot segments away)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), 5)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_root_redirects_to_the_dashboard(http):
    for path in ("/", "/app", "/app/", "/app/dashboard"):
        r = await http.get(path)
        assert r.status_code == 302, path
        assert r.headers["location"].endswith("/app/dashboard/"), path


async def test_page_library_and_vendored_client_are_served(http):
    page = await http.get("/app/dashboard/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '"socket.io-client": "../vendor/socket.io.esm.min.js"' in page.text
    for path in (
        "/app/dashboard/app.js",
        "/app/src/roomcast.js",
        "/app/vendor/socket.io.esm.min.js",
    ):
        r = await http.get(path)
        assert r.status_code == 200, path
        # ES modules load only with a JavaScript MIME type.
        assert "javascript" in r.headers["content-type"], path
        assert r.headers["x-content-type-options"] == "nosniff", path
    vendored = (await http.get("/app/vendor/socket.io.esm.min.js")).text
    assert vendored.startswith("/*!\n * Socket.IO v4.") and "MIT License" in vendored[:200]


@pytest.mark.parametrize(
    "path",
    [
        "/app/package.json",
        "/app/test/client.test.js",
        "/app/node_modules/socket.io-client/package.json",
        "/app/dashboard/../../pyproject.toml",
        "/app/src/%2e%2e/package.json",
        "/app/src/..%2f..%2fpyproject.toml",
        "/app/dashboard/missing.js",
    ],
)
async def test_nothing_else_is_served(server, path):
    status, body = await raw_get(server.url, path)
    assert status == 404, (path, status, body[:200])
    assert b"not_found" in body and b"[tool" not in body and b"socket.io-client" not in body


async def test_the_page_allows_only_its_own_scripts(http):
    csp = (await http.get("/app/dashboard/")).headers["content-security-policy"]
    rules = dict(rule.strip().split(" ", 1) for rule in csp.split(";"))
    # Same-origin files plus the hash of the inline import map; nothing inline otherwise.
    assert rules["script-src"].startswith("'self' 'sha256-")
    assert "unsafe-inline" not in csp and "*" not in csp
    assert rules["connect-src"] == "'self'"
    assert rules["object-src"] == "'none'"


def test_vendored_client_matches_the_locked_npm_package(node_modules):
    # Bumping socket.io-client in package.json without re-vendoring would give the browser
    # and Node different client versions.
    vendored = CLIENT_DIR / "vendor" / "socket.io.esm.min.js"
    installed = node_modules / "socket.io-client" / "dist" / "socket.io.esm.min.js"
    assert vendored.read_bytes() == installed.read_bytes(), (
        "re-vendor: cp frontend_client/node_modules/socket.io-client/dist/socket.io.esm.min.js "
        "frontend_client/vendor/"
    )


@pytest.mark.parametrize(
    ("vendored", "installed"),
    [
        ("chart.umd.min.js", "chart.js/dist/chart.umd.min.js"),
        ("swagger-ui/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui-bundle.js"),
        (
            "swagger-ui/swagger-ui-standalone-preset.js",
            "swagger-ui-dist/swagger-ui-standalone-preset.js",
        ),
        ("swagger-ui/swagger-ui.css", "swagger-ui-dist/swagger-ui.css"),
    ],
)
def test_vendored_ui_libraries_match_the_locked_npm_packages(node_modules, vendored, installed):
    ours = (CLIENT_DIR / "vendor" / vendored).read_bytes()
    assert ours == (node_modules / installed).read_bytes(), (
        f"re-vendor: cp frontend_client/node_modules/{installed} frontend_client/vendor/{vendored}"
    )
