"""Shared by the /dns socket tests and the DNS REST tests: zones, records, rule cases."""

from __future__ import annotations

import uuid

import httpx

from models.users import User

API = "/api/v1"
VOLATILE = ("id", "version", "updated_at", "zone_id")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register_people(server, *roles: str) -> dict[str, tuple[dict, str]]:
    """One account per role name (`staff` is staff), registered once for a whole module:
    password hashing is slow on purpose, and each test makes its own zones anyway."""
    people = {}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        for role in roles:
            email = f"dns-{role}-{uuid.uuid4().hex[:8]}@example.com"
            body = {"email": email, "password": "correct horse battery", "first_name": role}
            r = await http.post(f"{API}/auth/register", json=body)
            assert r.status_code == 201, r.text
            user = r.json()["user"]
            if role == "staff":
                await User.filter(id=user["id"]).update(is_staff=True)
                user["is_staff"] = True
            people[role] = user, r.json()["access_token"]
    return people


def zone_name() -> str:
    return f"z{uuid.uuid4().hex[:10]}.test"


async def make_zone(http, token: str, name: str | None = None) -> dict:
    r = await http.post(f"{API}/zones", json={"name": name or zone_name()}, headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()


async def add_record(http, token: str, zone_id: int, **body) -> dict:
    r = await http.post(f"{API}/zones/{zone_id}/records", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()


def dns_data(record: dict) -> dict:
    """A record without what the server assigns (id, version, time stamps)."""
    return {key: value for key, value in record.items() if key not in VOLATILE}


# (fields sent, expected stored values) - valid side of every rule.
VALID_CASES = [
    ({"type": "A", "name": "@", "content": "192.0.2.1"}, {"ttl": 3600, "priority": None}),
    ({"type": "a", "name": "Web", "content": "192.0.2.2", "ttl": 60}, {"type": "A", "name": "web"}),
    (
        {"type": "AAAA", "name": "v6", "content": "2001:DB8::1", "ttl": 604800},
        {"content": "2001:db8::1"},
    ),
    (
        {"type": "CNAME", "name": "www", "content": "target.example.net."},
        {"content": "target.example.net"},
    ),
    ({"type": "NS", "name": "sub", "content": "ns1.example.net"}, {"content": "ns1.example.net"}),
    ({"type": "MX", "name": "@", "content": "mx.example.net", "priority": 0}, {"priority": 0}),
    (
        {"type": "MX", "name": "mail", "content": "mx.example.net", "priority": 65535},
        {"priority": 65535},
    ),
    ({"type": "TXT", "name": "_dmarc", "content": "v=DMARC1; p=none"}, {"name": "_dmarc"}),
    ({"type": "TXT", "name": "long", "content": "t" * 4096}, {"content": "t" * 4096}),
    ({"type": "A", "name": "*.dev", "content": "192.0.2.3"}, {"name": "*.dev"}),
    ({"type": "A", "name": "*", "content": "192.0.2.4"}, {"name": "*"}),
    (
        {"type": "SRV", "name": "_sip._tcp", "content": "5 5060 sip.example.net", "priority": 10},
        {"service": "_sip._tcp", "name": "@"},
    ),
    ({"type": "CAA", "name": "@", "content": '0 issue "letsencrypt.org"'}, {"type": "CAA"}),
]

# (fields sent, the field the error must name) - invalid side of every rule.
INVALID_CASES = [
    ({"type": "A", "name": "x", "content": "300.1.1.1"}, "content"),
    ({"type": "A", "name": "x", "content": "2001:db8::1"}, "content"),
    ({"type": "AAAA", "name": "x", "content": "192.0.2.1"}, "content"),
    ({"type": "CNAME", "name": "x", "content": "not a host"}, "content"),
    ({"type": "NS", "name": "x", "content": "192.0.2.1"}, "content"),
    ({"type": "MX", "name": "x", "content": "mx..example.net", "priority": 1}, "content"),
    ({"type": "MX", "name": "x", "content": "mx.example.net"}, "priority"),
    ({"type": "MX", "name": "x", "content": "mx.example.net", "priority": 65536}, "priority"),
    ({"type": "MX", "name": "x", "content": "mx.example.net", "priority": -1}, "priority"),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 59}, "ttl"),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 604801}, "ttl"),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": "3600"}, "ttl"),
    ({"type": "TXT", "name": "x", "content": "t" * 4097}, "content"),
    ({"type": "TXT", "name": "x", "content": "nul \x00 inside"}, "content"),
    ({"type": "A", "name": "a..b", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "a*b", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "x.*", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "www.elsewhere.org.", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "x" * 64, "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": 5, "content": "192.0.2.1"}, "name"),
    ({"type": "BOGUS", "name": "x", "content": "192.0.2.1"}, "type"),
    ({"name": "x", "content": "192.0.2.1"}, "type"),
    ({"type": "A", "name": "x"}, "content"),
    (
        {"type": "SRV", "name": "plain", "content": "5 5060 sip.example.net", "priority": 1},
        "service",
    ),
    ({"type": "CAA", "name": "@", "content": "no quotes here"}, "content"),
]
