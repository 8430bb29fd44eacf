"""/dns as clients see it: zone rooms, record events from sockets and REST, rules, races."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.dns_support import (
    API,
    INVALID_CASES,
    VALID_CASES,
    add_record,
    bearer,
    make_zone,
    register_people,
)


@pytest.fixture(scope="module")
async def people(server):
    return await register_people(server, "owner", "other", "staff")


async def subscribed(sio_client, token: str, zone_id: int):
    client = await sio_client("/dns", token)
    ack = await client.call("subscribe", {"zone_id": zone_id})
    assert ack["ok"] is True, ack
    return client, ack["data"]


async def test_subscribe_acks_the_zone_and_its_records(http, people, sio_client):
    _, token = people["owner"]
    zone = await make_zone(http, token)
    record = await add_record(http, token, zone["id"], type="A", name="www", content="192.0.2.1")
    _, data = await subscribed(sio_client, token, zone["id"])
    assert data == {"zone": zone, "records": [record]}


async def test_a_change_by_either_client_or_rest_reaches_both(http, people, sio_client):
    _, token = people["owner"]
    _, staff_token = people["staff"]
    _, other_token = people["other"]
    zone = await make_zone(http, token)
    zid = zone["id"]
    owner_tab, _ = await subscribed(sio_client, token, zid)
    staff_tab, _ = await subscribed(sio_client, staff_token, zid)
    bystander = await sio_client("/dns", other_token)

    ack = await owner_tab.call(
        "create_record", {"zone_id": zid, "type": "A", "name": "www", "content": "192.0.2.1"}
    )
    assert ack["ok"] is True and ack["data"]["version"] == 1
    record = ack["data"]
    for tab in (owner_tab, staff_tab):
        assert await tab.wait("record_created") == {"zone_id": zid, "record": record}

    ack = await staff_tab.call("update_record", {"id": record["id"], "version": 1, "ttl": 120})
    assert ack["ok"] is True and ack["data"]["ttl"] == 120 and ack["data"]["version"] == 2
    for tab in (owner_tab, staff_tab):
        assert await tab.wait("record_updated") == {"zone_id": zid, "record": ack["data"]}

    r = await http.post(
        f"{API}/zones/{zid}/records",
        json={"type": "TXT", "name": "@", "content": "hello"},
        headers=bearer(token),
    )
    for tab in (owner_tab, staff_tab):
        assert await tab.wait("record_created") == {"zone_id": zid, "record": r.json()}
    r = await http.patch(
        f"{API}/records/{record['id']}", json={"version": 2, "name": "web"}, headers=bearer(token)
    )
    for tab in (owner_tab, staff_tab):
        assert await tab.wait("record_updated") == {"zone_id": zid, "record": r.json()}
    await http.delete(f"{API}/records/{record['id']}", headers=bearer(token))
    for tab in (owner_tab, staff_tab):
        assert await tab.wait("record_deleted") == {"zone_id": zid, "id": record["id"]}

    ack = await owner_tab.call("delete_record", {"id": r.json()["id"]})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    txt_id = (await http.get(f"{API}/zones/{zid}/records", headers=bearer(token))).json()
    ack = await owner_tab.call("delete_record", {"id": txt_id["items"][0]["id"]})
    assert ack["ok"] is True and ack["data"]["type"] == "TXT"
    for tab in (owner_tab, staff_tab):
        assert await tab.wait("record_deleted") == {"zone_id": zid, "id": ack["data"]["id"]}

    # The staff socket was in both the zone's room and the staff room: one delivery each. A
    # later record in the zone (and one in the bystander's own zone) must come next.
    own_zone = await make_zone(http, other_token)
    ack = await bystander.call("subscribe", {"zone_id": own_zone["id"]})
    assert ack["ok"] is True
    later = await add_record(http, token, zid, type="A", name="later", content="192.0.2.7")
    assert await staff_tab.wait("record_created") == {"zone_id": zid, "record": later}
    assert staff_tab.none_yet("record_deleted")
    theirs = await add_record(
        http, other_token, own_zone["id"], type="A", name="mine", content="192.0.2.8"
    )
    assert (await bystander.wait("record_created"))["record"] == theirs
    assert bystander.none_yet("record_deleted")


async def test_staff_feed_without_subscribing_and_unsubscribe(http, people, sio_client):
    _, token = people["owner"]
    _, staff_token = people["staff"]
    zone = await make_zone(http, token)
    watcher = await sio_client("/dns", staff_token)
    tab, _ = await subscribed(sio_client, token, zone["id"])
    record = await add_record(http, token, zone["id"], type="A", name="a", content="192.0.2.1")
    assert (await watcher.wait("record_created"))["record"] == record
    assert (await tab.wait("record_created"))["record"] == record

    ack = await tab.call("unsubscribe", {"zone_id": zone["id"]})
    assert ack == {"ok": True, "data": {"zone_id": zone["id"], "subscribed": False}}
    await add_record(http, token, zone["id"], type="A", name="b", content="192.0.2.2")
    assert (await watcher.wait("record_created"))["record"]["name"] == "b"
    # Subscribed to another zone: its record is the next one this socket hears of, not "b".
    other_zone = await make_zone(http, token)
    assert (await tab.call("subscribe", {"zone_id": other_zone["id"]}))["ok"] is True
    later = await add_record(http, token, other_zone["id"], type="A", name="c", content="192.0.2.3")
    assert (await tab.wait("record_created"))["record"] == later


async def test_another_users_zone_is_not_found(http, people, sio_client):
    _, token = people["owner"]
    _, other_token = people["other"]
    zone = await make_zone(http, token)
    record = await add_record(http, token, zone["id"], type="A", name="a", content="192.0.2.1")
    owner_tab, _ = await subscribed(sio_client, token, zone["id"])
    intruder = await sio_client("/dns", other_token)
    # An id beyond the id columns' range (docs/hardening.md) is a validation_error naming the
    # field, on a socket as over REST; beyond 64 bits orjson reads it as a float, refused alike.
    for field, event, value in (("zone_id", "subscribe", 10**30), ("id", "delete_record", 2**63)):
        ack = await intruder.call(event, {field: value})
        assert ack["error"]["code"] == "validation_error" and field in ack["error"]["fields"]
    for event, payload in [
        ("subscribe", {"zone_id": zone["id"]}),
        ("subscribe", {"zone_id": 10**9}),
        ("subscribe", {"zone_id": -1}),
        (
            "create_record",
            {"zone_id": zone["id"], "type": "A", "name": "x", "content": "192.0.2.9"},
        ),
        ("update_record", {"id": record["id"], "version": 1, "content": "192.0.2.9"}),
        ("delete_record", {"id": record["id"]}),
    ]:
        ack = await intruder.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "not_found", (event, ack)
    later = await add_record(http, token, zone["id"], type="A", name="later", content="192.0.2.7")
    assert (await owner_tab.wait("record_created"))["record"] == later
    assert owner_tab.none_yet("record_updated") and owner_tab.none_yet("record_deleted")
    r = await http.get(f"{API}/records/{record['id']}", headers=bearer(token))
    assert r.json() == record


async def test_every_rule_over_the_socket(http, people, sio_client):
    _, token = people["owner"]
    zone = await make_zone(http, token)
    tab, _ = await subscribed(sio_client, token, zone["id"])
    for body, expected in VALID_CASES:
        ack = await tab.call("create_record", {"zone_id": zone["id"], **body})
        assert ack["ok"] is True, (body, ack)
        for key, value in expected.items():
            assert ack["data"][key] == value, (body, key, ack)
        assert (await tab.wait("record_created"))["record"] == ack["data"]
    for body, field in INVALID_CASES:
        ack = await tab.call("create_record", {"zone_id": zone["id"], **body})
        assert ack["ok"] is False, body
        assert ack["error"]["code"] == "validation_error" and field in ack["error"]["fields"], (
            body,
            ack,
        )
    later = await add_record(http, token, zone["id"], type="A", name="later", content="192.0.2.7")
    assert (await tab.wait("record_created"))["record"] == later  # no refused one came first

    cname = await tab.call(
        "create_record",
        {"zone_id": zone["id"], "type": "CNAME", "name": "@", "content": "x.example.net"},
    )
    assert cname["error"]["fields"].keys() == {"name"}
    www = await tab.call(
        "create_record",
        {"zone_id": zone["id"], "type": "A", "name": "www", "content": "192.0.2.1"},
    )
    assert www["ok"] is False and "name" in www["error"]["fields"]  # www is a CNAME


async def test_malformed_payloads_get_validation_errors(http, people, sio_client):
    _, token = people["owner"]
    zone = await make_zone(http, token)
    tab = await sio_client("/dns", token)
    for event in ("subscribe", "unsubscribe", "create_record", "update_record", "delete_record"):
        for payload in (None, 7, "x", [], {}):
            ack = await tab.call(event, payload)
            assert ack["ok"] is False and ack["error"]["code"] == "validation_error", (event, ack)
    cases = [
        ("subscribe", {"zone_id": "1"}, "zone_id"),
        (
            "create_record",
            {"zone_id": zone["id"], "type": "A", "name": "x", "content": 5},
            "content",
        ),
        (
            "create_record",
            {"zone_id": zone["id"], "type": "A", "name": "x", "content": "x" * 10**5},
            "content",
        ),
        ("update_record", {"id": 1}, "version"),
        ("update_record", {"id": 1, "version": "1"}, "version"),
        ("update_record", {"id": True, "version": 1}, "id"),
        ("delete_record", {"id": 1.5}, "id"),
    ]
    for event, payload, field in cases:
        ack = await tab.call(event, payload)
        assert ack["ok"] is False and field in ack["error"]["fields"], (event, ack)


async def test_two_updates_from_the_same_version_one_wins(http, people, sio_client):
    _, token = people["owner"]
    _, staff_token = people["staff"]
    zone = await make_zone(http, token)
    record = await add_record(http, token, zone["id"], type="A", name="www", content="192.0.2.1")
    alice, _ = await subscribed(sio_client, token, zone["id"])
    ada, _ = await subscribed(sio_client, staff_token, zone["id"])

    acks = await asyncio.gather(
        alice.call("update_record", {"id": record["id"], "version": 1, "content": "192.0.2.10"}),
        ada.call("update_record", {"id": record["id"], "version": 1, "content": "192.0.2.20"}),
    )
    winners = [ack for ack in acks if ack["ok"]]
    losers = [ack for ack in acks if not ack["ok"]]
    assert len(winners) == 1 and len(losers) == 1, acks
    won, lost = winners[0]["data"], losers[0]["error"]
    assert won["version"] == 2
    assert lost["code"] == "conflict" and lost["fields"]["current"] == won
    for tab in (alice, ada):
        assert await tab.wait("record_updated") == {"zone_id": zone["id"], "record": won}

    # The loser retries from what it was told; nothing is lost.
    loser = ada if acks[1] is losers[0] else alice
    retry = await loser.call(
        "update_record", {"id": record["id"], "version": 2, "content": "192.0.2.30"}
    )
    assert retry["ok"] is True and retry["data"]["version"] == 3
    for tab in (alice, ada):  # the loser's refused try was never broadcast: the retry is next
        assert await tab.wait("record_updated") == {"zone_id": zone["id"], "record": retry["data"]}
    audit = (await http.get(f"{API}/zones/{zone['id']}/audit", headers=bearer(token))).json()
    updates = [e for e in audit["items"] if e["action"] == "updated"]
    assert [e["after"]["version"] for e in updates] == [3, 2]
    assert updates[0]["before"] == won


async def test_racing_cname_and_a_at_one_name_only_one_lands(http, people, sio_client):
    _, token = people["owner"]
    zone = await make_zone(http, token)
    tab1 = await sio_client("/dns", token)
    tab2 = await sio_client("/dns", token)
    for round_ in range(3):
        name = f"n{round_}"
        acks = await asyncio.gather(
            tab1.call(
                "create_record",
                {"zone_id": zone["id"], "type": "CNAME", "name": name, "content": "x.example.net"},
            ),
            tab2.call(
                "create_record",
                {"zone_id": zone["id"], "type": "A", "name": name, "content": "192.0.2.1"},
            ),
        )
        assert sorted(ack["ok"] for ack in acks) == [False, True], acks
        loser = next(ack for ack in acks if not ack["ok"])
        assert "name" in loser["error"]["fields"]
    records = (await http.get(f"{API}/zones/{zone['id']}/records", headers=bearer(token))).json()
    assert len(records["items"]) == 3


async def test_import_emits_each_records_event(http, people, sio_client):
    _, token = people["owner"]
    zone = await make_zone(http, token)
    old = await add_record(http, token, zone["id"], type="A", name="old", content="192.0.2.1")
    tab, _ = await subscribed(sio_client, token, zone["id"])
    text = f'$ORIGIN {zone["name"]}.\nnew1 A 192.0.2.2\nnew2 TXT "hi"\n'
    r = await http.post(
        f"{API}/zones/{zone['id']}/import?mode=replace",
        content=text,
        headers={**bearer(token), "Content-Type": "text/plain"},
    )
    assert r.status_code == 200 and (r.json()["added"], r.json()["removed"]) == (2, 1)
    assert await tab.wait("record_deleted") == {"zone_id": zone["id"], "id": old["id"]}
    created = [await tab.wait("record_created") for _ in range(2)]
    assert sorted(c["record"]["name"] for c in created) == ["new1", "new2"]
    assert [c["record"] for c in created] == [
        rec for rec in r.json()["records"] if rec["name"].startswith("new")
    ]


async def test_deleting_a_zone_tells_its_subscribers(http, people, sio_client):
    _, token = people["owner"]
    zone = await make_zone(http, token)
    tab, _ = await subscribed(sio_client, token, zone["id"])
    assert (
        await http.delete(f"{API}/zones/{zone['id']}", headers=bearer(token))
    ).status_code == 204
    assert await tab.wait("zone_deleted") == {"zone_id": zone["id"]}
