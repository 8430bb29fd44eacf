"""deploy/nginx/roomcast.conf itself, run by a real nginx in front of the test cluster's nodes.

Only what a deployment changes is changed: the listen ports (non-default, loopback), the
certificate paths (a self-signed pair made here) and the upstream servers. Checked: plain HTTP
redirects to HTTPS; /ready answers over TLS; browser sockets whose Origin is the page's
https origin WITH its port connect on both transports; the auth cookies come back Secure
(X-Forwarded-Proto from a trusted proxy); HSTS is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import httpx
import pytest
import socketio

from server.cluster_nginx import user_directive
from tests.cluster.conftest import nginx_or_skip
from tests.harness import ON_CI, free_port

PRODUCTION = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "roomcast.conf"


def replace_once(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) == count, f"{old!r} should appear {count}x in {PRODUCTION}"
    return text.replace(old, new)


def self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        if ON_CI:
            pytest.fail("openssl is needed for the TLS test (CI=true: a missing tool is a failure)")
        pytest.skip("openssl is not installed (apt-get install -y openssl)")
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    command += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
    command += ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return cert, key


def render_production(state: Path, nodes: list[str], http_port: int, https_port: int) -> Path:
    cert, key = self_signed(state)
    text = PRODUCTION.read_text()
    text = replace_once(text, "    listen 80;", f"    listen 127.0.0.1:{http_port};")
    text = replace_once(text, "    listen [::]:80;\n", "")
    text = replace_once(
        text, "    listen 443 ssl http2;", f"    listen 127.0.0.1:{https_port} ssl http2;"
    )
    text = replace_once(text, "    listen [::]:443 ssl http2;\n", "")
    text = replace_once(text, "/etc/letsencrypt/live/roomcast.example.com/fullchain.pem", str(cert))
    text = replace_once(text, "/etc/letsencrypt/live/roomcast.example.com/privkey.pem", str(key))
    servers = "".join(
        f"    server {url.removeprefix('http://')} max_fails=3 fail_timeout=10s;\n" for url in nodes
    )
    text = replace_once(
        text,
        "    server 127.0.0.1:8001 max_fails=3 fail_timeout=10s;\n"
        "    server 127.0.0.1:8002 max_fails=3 fail_timeout=10s;\n",
        servers,
    )
    (state / "conf.d").mkdir()
    (state / "conf.d" / "roomcast.conf").write_text(text)
    (state / "logs").mkdir()
    temp = "\n".join(
        f"    {kind}_temp_path {state}/temp-{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # What Debian's /etc/nginx/nginx.conf provides around conf.d/*.conf.
    main = state / "nginx.conf"
    main.write_text(
        f"daemon off;\n{user_directive()}\npid {state}/nginx.pid;\n"
        f"error_log {state}/logs/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log {state}/logs/access.log;\n{temp}\n"
        f"    include {state}/conf.d/*.conf;\n}}\n"
    )
    return main


def start_nginx(nginx: str, config: Path, state: Path) -> subprocess.Popen:
    """`nginx -t` on the file, then nginx in the foreground."""
    base = [nginx, "-c", str(config), "-p", f"{state}/", "-e", str(state / "logs" / "error.log")]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    return subprocess.Popen(base, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
async def production_nginx(nginx_cluster, tmp_path_factory):
    nginx = nginx_or_skip()
    state = tmp_path_factory.mktemp("nginx-production")
    http_port, https_port = free_port(), free_port()
    config = render_production(state, nginx_cluster.nodes, http_port, https_port)
    proc = start_nginx(nginx, config, state)
    https = f"https://127.0.0.1:{https_port}"
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(verify=False, timeout=5) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(https + "/ready")).status_code == 200:
                        break
                assert proc.poll() is None, (state / "logs" / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx with roomcast.conf did not get ready"
                await asyncio.sleep(0.2)
        yield {"http": f"http://127.0.0.1:{http_port}", "https": https}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def test_plain_http_redirects_to_https(production_nginx):
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(production_nginx["http"] + "/api/v1/auth/me?x=1")
    assert r.status_code == 301
    # Production listens on 443: the redirect names the host only.
    assert r.headers["location"] == "https://127.0.0.1/api/v1/auth/me?x=1"


@pytest.mark.parametrize("client_address", ["127.0.0.1", "127.0.0.2"])
async def test_tls_ready_hsts_and_secure_cookies(production_nginx, client_address):
    # 127.0.0.2: a client that is not itself a trusted proxy (nginx connects to the nodes
    # from 127.0.0.1 and names the client in X-Forwarded-For).
    transport = httpx.AsyncHTTPTransport(local_address=client_address, verify=False)
    base = production_nginx["https"]
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=10) as h:
        ready = await h.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.headers["strict-transport-security"].startswith("max-age=")
        body = {"email": "admin@example.com", "password": "admin-password"}
        login = await h.post("/api/v1/auth/login", json=body)
        assert login.status_code == 200, login.text
    cookies = login.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"access_token", "refresh_token"}
    for cookie in cookies:
        assert "secure" in cookie.lower(), cookie


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_browser_socket_over_tls_on_a_non_default_port(production_nginx, transport):
    # From 127.0.0.2, a client that is not a proxy: the server sees it as the peer (uvicorn's
    # proxy headers) and the Host nginx forwards must carry the port for the origin check.
    https = production_nginx["https"]
    local = httpx.AsyncHTTPTransport(local_address="127.0.0.2", verify=False)
    async with httpx.AsyncClient(base_url=https, transport=local, timeout=10) as http:
        body = {"email": "alice@example.com", "password": "alice-password"}
        token = (await http.post("/api/v1/auth/login", json=body)).json()["access_token"]
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0), ssl=False)
    )
    client = socketio.AsyncClient(reconnection=False, http_session=session)
    greeted: asyncio.Future = asyncio.get_running_loop().create_future()
    client.on(
        "connection_established",
        lambda data: greeted.done() or greeted.set_result(data),
        namespace="/alerts",
    )
    try:
        await client.connect(
            https,
            namespaces=["/alerts"],
            transports=[transport],
            auth={"token": token},
            headers={"Origin": https},
            wait_timeout=10,
        )
        greeting = await asyncio.wait_for(greeted, 10)
        assert greeting["namespace"] == "/alerts" and greeting["user_id"]
        assert client.transport() == transport
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), 5)
        await session.close()
