"""DNS over REST: zones, records and their rules, versions, zone files, the audit log."""

from __future__ import annotations

import time

import pytest

from tests.api.dns_support import (
    API,
    INVALID_CASES,
    VALID_CASES,
    add_record,
    bearer,
    dns_data,
    make_zone,
    register_people,
    zone_name,
)


@pytest.fixture(scope="module")
async def people(server):
    return await register_people(server, "owner", "other", "staff")


@pytest.fixture
def owner(people):
    return people["owner"]


async def test_zone_lifecycle_and_someone_elses_zone_is_not_found(http, new_user, people):
    user, token, _ = await new_user()  # a fresh account: its zone list starts empty
    _, other = people["other"]
    _, staff = people["staff"]
    name = zone_name()
    zone = await make_zone(http, token, name.upper() + ".")
    assert zone["name"] == name and zone["owner_id"] == user["id"]
    assert zone["created_at"].endswith("Z")

    again = await http.post(f"{API}/zones", json={"name": name}, headers=bearer(other))
    assert again.status_code == 409 and again.json()["error"]["fields"] == {
        "name": "already exists"
    }
    bad = await http.post(f"{API}/zones", json={"name": "bad..name"}, headers=bearer(token))
    assert bad.status_code == 422 and "name" in bad.json()["error"]["fields"]
    missing = await http.post(f"{API}/zones", json={}, headers=bearer(token))
    assert missing.status_code == 422 and "name" in missing.json()["error"]["fields"]

    listed = (await http.get(f"{API}/zones", headers=bearer(token))).json()["items"]
    assert listed == [zone]
    assert (await http.get(f"{API}/zones/", headers=bearer(other))).json() == {"items": []}
    staff_view = (await http.get(f"{API}/zones", headers=bearer(staff))).json()["items"]
    assert zone in staff_view

    record = await add_record(http, token, zone["id"], type="A", name="www", content="192.0.2.1")
    zid = zone["id"]
    for method, path in [
        ("GET", f"/zones/{zid}"),
        ("GET", f"/zones/{zid}/records"),
        ("POST", f"/zones/{zid}/records"),
        ("GET", f"/zones/{zid}/export"),
        ("POST", f"/zones/{zid}/import"),
        ("GET", f"/zones/{zid}/audit"),
        ("GET", f"/records/{record['id']}"),
        ("PATCH", f"/records/{record['id']}"),
        ("DELETE", f"/records/{record['id']}"),
        ("DELETE", f"/zones/{zid}"),
    ]:
        body = {"type": "A", "name": "x", "content": "192.0.2.9", "version": 1}
        r = await http.request(
            method,
            API + path,
            json=body if method in ("POST", "PATCH") else None,
            headers=bearer(other),
        )
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (method, path)
    assert (await http.get(f"{API}/records/{record['id']}", headers=bearer(token))).json() == record
    assert (await http.get(f"{API}/zones/{zid}", headers=bearer(staff))).json() == zone

    assert (await http.delete(f"{API}/zones/{zid}", headers=bearer(token))).status_code == 204
    assert (await http.get(f"{API}/zones/{zid}", headers=bearer(token))).status_code == 404
    assert (
        await http.get(f"{API}/records/{record['id']}", headers=bearer(token))
    ).status_code == 404
    assert (await http.get(f"{API}/zones", headers=bearer(token))).status_code == 200
    assert (await http.get(f"{API}/zones")).status_code == 401


async def test_every_rule_over_rest(http, owner):
    _, token = owner
    zone = await make_zone(http, token)
    url = f"{API}/zones/{zone['id']}/records"
    for body, expected in VALID_CASES:
        r = await http.post(url, json=body, headers=bearer(token))
        assert r.status_code == 201, (body, r.text)
        record = r.json()
        assert record["version"] == 1 and record["zone_id"] == zone["id"]
        for key, value in expected.items():
            assert record[key] == value, (body, key, record)
    for body, field in INVALID_CASES:
        r = await http.post(url, json=body, headers=bearer(token))
        assert r.status_code == 422, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"], (body, error)
    count = len((await http.get(url, headers=bearer(token))).json()["items"])
    assert count == len(VALID_CASES)


async def test_cname_shares_its_name_with_nothing(http, owner):
    _, token = owner
    zone = await make_zone(http, token)
    url = f"{API}/zones/{zone['id']}/records"
    await add_record(http, token, zone["id"], type="A", name="www", content="192.0.2.1")
    await add_record(http, token, zone["id"], type="CNAME", name="blog", content="www.example.net")
    await add_record(
        http,
        token,
        zone["id"],
        type="SRV",
        name="eu",
        service="_sip._tcp",
        content="0 5060 sip.example.net",
        priority=1,
    )
    await add_record(
        http, token, zone["id"], type="CNAME", name="_xmpp._tcp", content="x.example.net"
    )
    for body in (
        {"type": "CNAME", "name": "www", "content": "x.example.net"},
        {"type": "TXT", "name": "blog", "content": "hello"},
        {"type": "CNAME", "name": "BLOG", "content": "y.example.net"},
        {"type": "CNAME", "name": "@", "content": "y.example.net"},
        {"type": "CNAME", "name": "_sip._tcp.eu", "content": "y.example.net"},
        {
            "type": "SRV",
            "name": "@",
            "service": "_xmpp._tcp",
            "content": "0 1 x.example.net",
            "priority": 1,
        },
    ):
        r = await http.post(url, json=body, headers=bearer(token))
        assert r.status_code == 422 and "name" in r.json()["error"]["fields"], (body, r.text)
    dup = await http.post(
        url, json={"type": "A", "name": "www", "content": "192.0.2.1"}, headers=bearer(token)
    )
    assert dup.status_code == 422 and "content" in dup.json()["error"]["fields"]


async def test_patch_needs_the_current_version(http, owner):
    _, token = owner
    zone = await make_zone(http, token)
    record = await add_record(
        http, token, zone["id"], type="MX", name="@", content="mx1.example.net", priority=10
    )
    url = f"{API}/records/{record['id']}"
    missing = await http.patch(url, json={"content": "mx2.example.net"}, headers=bearer(token))
    assert missing.status_code == 422 and "version" in missing.json()["error"]["fields"]

    r = await http.patch(url, json={"version": 1, "priority": 20}, headers=bearer(token))
    assert r.status_code == 200
    updated = r.json()
    assert updated["version"] == 2 and updated["priority"] == 20
    assert updated["content"] == "mx1.example.net"

    stale = await http.patch(url, json={"version": 1, "priority": 30}, headers=bearer(token))
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "conflict" and error["fields"]["current"] == updated

    bad = await http.patch(url, json={"version": 2, "priority": 70000}, headers=bearer(token))
    assert bad.status_code == 422 and "priority" in bad.json()["error"]["fields"]
    # A new type drops the priority it has no use for.
    retyped = await http.patch(
        url, json={"version": 2, "type": "A", "content": "192.0.2.5"}, headers=bearer(token)
    )
    assert retyped.status_code == 200, retyped.text
    assert retyped.json()["priority"] is None and retyped.json()["version"] == 3
    same = await http.patch(url, json={"version": 3, "content": "192.0.2.5"}, headers=bearer(token))
    assert same.json() == retyped.json()  # nothing changed: no new version

    stale = await http.patch(url, json={"version": 2**31 - 1, "ttl": 60}, headers=bearer(token))
    assert stale.status_code == 409 and stale.json()["error"]["fields"]["current"] == same.json()
    # beyond the column's range: validation_error naming the field (docs/hardening.md)
    huge = await http.patch(url, json={"version": 10**30, "ttl": 60}, headers=bearer(token))
    assert huge.status_code == 422 and "version" in huge.json()["error"]["fields"]
    for path in (f"/records/{10**20}", f"/zones/{10**20}", "/records/0"):
        r = await http.get(API + path, headers=bearer(token))
        assert r.status_code == 404, (path, r.text)

    assert (await http.delete(url, headers=bearer(token))).status_code == 204
    assert (await http.delete(url, headers=bearer(token))).status_code == 404


async def test_audit_records_who_when_before_and_after(http, people, owner):
    user, token = owner
    _, staff = people["staff"]
    zone = await make_zone(http, token)
    record = await add_record(http, token, zone["id"], type="A", name="www", content="192.0.2.1")
    r = await http.patch(
        f"{API}/records/{record['id']}", json={"version": 1, "ttl": 300}, headers=bearer(staff)
    )
    updated = r.json()
    await http.delete(f"{API}/records/{record['id']}", headers=bearer(token))

    entries = (await http.get(f"{API}/zones/{zone['id']}/audit", headers=bearer(token))).json()
    deleted, changed, created = entries["items"]
    assert [e["action"] for e in (deleted, changed, created)] == ["deleted", "updated", "created"]
    assert created["before"] is None and created["after"] == record
    assert changed["before"] == record and changed["after"] == updated
    assert deleted["before"] == updated and deleted["after"] is None
    assert created["actor_id"] == user["id"] and changed["actor_id"] != user["id"]
    assert all(e["record_id"] == record["id"] and e["at"].endswith("Z") for e in entries["items"])
    by_staff = await http.get(f"{API}/zones/{zone['id']}/audit?limit=1", headers=bearer(staff))
    assert by_staff.json()["items"] == [deleted]


SAMPLE = [
    {"type": "A", "name": "@", "content": "192.0.2.1", "ttl": 300},
    {"type": "AAAA", "name": "@", "content": "2001:db8::1"},
    {"type": "CNAME", "name": "www", "content": "web.example.net"},
    {"type": "MX", "name": "@", "content": "mx.example.net", "priority": 10},
    {"type": "TXT", "name": "@", "content": 'v=spf1 include:"x" ~all ' + "s" * 300},
    {"type": "NS", "name": "lab", "content": "ns1.example.net"},
    {"type": "SRV", "name": "_sip._tcp", "content": "5 5060 sip.example.net", "priority": 1},
    {"type": "CAA", "name": "@", "content": '0 issue "letsencrypt.org"'},
    {"type": "A", "name": "*.dev", "content": "192.0.2.8", "ttl": 60},
]


async def test_export_then_import_gives_the_same_records(http, owner):
    _, token = owner
    zone = await make_zone(http, token)
    zid = zone["id"]
    for body in SAMPLE:
        await add_record(http, token, zid, **body)
    before = (await http.get(f"{API}/zones/{zid}/records", headers=bearer(token))).json()["items"]

    r = await http.get(f"{API}/zones/{zid}/export", headers=bearer(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert f"$ORIGIN {zone['name']}.\n" in text and "$TTL 3600\n" in text

    # The same file again changes nothing, in either mode.
    for mode in ("merge", "replace"):
        r = await http.post(
            f"{API}/zones/{zid}/import?mode={mode}",
            content=text,
            headers={**bearer(token), "Content-Type": "text/plain"},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["added"], r.json()["removed"]) == (0, 0)

    empty = f"$ORIGIN {zone['name']}.\n"
    r = await http.post(
        f"{API}/zones/{zid}/import?mode=replace", json={"zone_file": empty}, headers=bearer(token)
    )
    assert r.json()["removed"] == len(SAMPLE) and r.json()["records"] == []
    r = await http.post(
        f"{API}/zones/{zid}/import", json={"zone_file": text}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.json()["added"] == len(SAMPLE)
    after = (await http.get(f"{API}/zones/{zid}/records", headers=bearer(token))).json()["items"]
    assert sorted(map(str, map(dns_data, after))) == sorted(map(str, map(dns_data, before)))


async def test_a_thousand_record_file_imports_in_one_go(http, owner):
    _, token = owner
    zone = await make_zone(http, token)
    lines = [f"$ORIGIN {zone['name']}.", "$TTL 600"]
    lines += [f"host{i} IN A 10.0.{i // 256}.{i % 256}" for i in range(1000)]
    started = time.perf_counter()
    r = await http.post(
        f"{API}/zones/{zone['id']}/import",
        content="\n".join(lines),
        headers={**bearer(token), "Content-Type": "text/plain; charset=utf-8"},
    )
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1000 and len(r.json()["records"]) == 1000
    assert {rec["ttl"] for rec in r.json()["records"]} == {600}
    assert elapsed < 10, f"1000 records took {elapsed:.1f} s"
    audit = await http.get(f"{API}/zones/{zone['id']}/audit?limit=500", headers=bearer(token))
    assert len(audit.json()["items"]) == 500


async def test_a_file_with_errors_imports_nothing_and_names_every_bad_line(http, owner):
    _, token = owner
    zone = await make_zone(http, token)
    await add_record(http, token, zone["id"], type="CNAME", name="www", content="x.example.net")
    text = "\n".join(
        [
            f"$ORIGIN {zone['name']}.",  # 1
            "good A 192.0.2.1",  # 2
            "bad A 192.0.2.300",  # 3
            "www A 192.0.2.2",  # 4: www is a CNAME already
            "mx MX 10 not_a host.",  # 5
            "good A 192.0.2.1",  # 6: same as line 2
            "t 5 TXT short-ttl",  # 7
            "p PTR x.example.net.",  # 8
        ]
    )
    r = await http.post(
        f"{API}/zones/{zone['id']}/import",
        content=text,
        headers={**bearer(token), "Content-Type": "text/plain"},
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [f"line {n}" for n in (3, 4, 5, 6, 7, 8)]
    assert "line 2" in error["fields"]["line 6"]
    records = (await http.get(f"{API}/zones/{zone['id']}/records", headers=bearer(token))).json()
    assert [r["name"] for r in records["items"]] == ["www"]


async def test_import_refuses_wrong_bodies_and_modes(http, owner):
    _, token = owner
    zone = await make_zone(http, token)
    url = f"{API}/zones/{zone['id']}/import"
    bad_mode = await http.post(url + "?mode=overwrite", content="", headers=bearer(token))
    assert bad_mode.status_code == 422 and "mode" in bad_mode.json()["error"]["fields"]
    no_file = await http.post(url, json={"zone": "x"}, headers=bearer(token))
    assert no_file.status_code == 422 and "zone_file" in no_file.json()["error"]["fields"]
    wrong_type = await http.post(url, json={"zone_file": 5}, headers=bearer(token))
    assert wrong_type.status_code == 422 and "zone_file" in wrong_type.json()["error"]["fields"]
    form = await http.post(url, data={"zone_file": "x"}, headers=bearer(token))
    assert form.status_code == 400 and form.json()["error"]["code"] == "bad_request"
    binary = await http.post(
        url, content=b"\xff\xfe", headers={**bearer(token), "Content-Type": "text/plain"}
    )
    assert binary.status_code == 400
    other_origin = await http.post(
        url,
        content="$ORIGIN other.example.\nwww A 192.0.2.1\n",
        headers={**bearer(token), "Content-Type": "text/plain"},
    )
    assert other_origin.status_code == 422 and "line 2" in other_origin.json()["error"]["fields"]
