"""The demo zone: seeded once, a record of every type, and its export reads back cleanly."""

from __future__ import annotations

from models.dns import Record, Zone, data_of
from models.dns_import import export_zone
from models.dns_rules import RECORD_TYPES
from models.dns_zonefile import parse_zone
from models.users import User, create_user
from server.seeds.dns import OWNER, RECORDS, ZONE, seed


async def test_demo_zone_is_seeded_once_with_every_type(server):
    alice = await User.get_or_none(email=OWNER) or await create_user(
        email=OWNER, password="alice-password"
    )
    await seed({OWNER: alice})
    await seed({OWNER: alice})
    zone = await Zone.get(name=ZONE)
    assert zone.owner_id == alice.id
    records = await Record.filter(zone_id=zone.id)
    assert len(records) == len(RECORDS)
    assert {record.type for record in records} == set(RECORD_TYPES)
    parsed, errors = parse_zone(await export_zone(zone_id=zone.id, user_id=alice.id), ZONE)
    assert errors == {}
    assert {p.data for p in parsed} == {data_of(record) for record in records}
