"""Demo data for dns: one zone of alice's with a record of every type (idempotent)."""

from __future__ import annotations

from models import dns, dns_records
from models.users import User

ZONE = "demo.example.com"
OWNER = "alice@example.com"
RECORDS = (
    {"type": "NS", "name": "@", "content": "ns1.example.net"},
    {"type": "NS", "name": "@", "content": "ns2.example.net"},
    {"type": "A", "name": "@", "content": "192.0.2.10"},
    {"type": "AAAA", "name": "@", "content": "2001:db8::10"},
    {"type": "CNAME", "name": "www", "content": "demo.example.com"},
    {"type": "A", "name": "mail", "content": "192.0.2.25", "ttl": 600},
    {"type": "MX", "name": "@", "content": "mail.demo.example.com", "priority": 10},
    {"type": "TXT", "name": "@", "content": "v=spf1 mx -all"},
    {"type": "TXT", "name": "_dmarc", "content": "v=DMARC1; p=quarantine"},
    {"type": "SRV", "name": "_sip._tcp", "content": "5 5060 sip.demo.example.com", "priority": 10},
    {"type": "A", "name": "sip", "content": "192.0.2.50"},
    {"type": "CAA", "name": "@", "content": '0 issue "letsencrypt.org"'},
    {"type": "A", "name": "*.dev", "content": "192.0.2.99", "ttl": 300},
)


async def seed(users: dict[str, User]) -> None:
    """`users` maps the demo emails (server.demo.DEMO_USERS) to their User rows."""
    owner = users.get(OWNER)
    if owner is None or await dns.Zone.filter(name=ZONE).exists():
        return
    zone = await dns.create_zone(owner_id=owner.id, name=ZONE)
    for record in RECORDS:
        await dns_records.create_record(
            zone_id=zone.id, user_id=owner.id, actor_id=owner.id, **record
        )
