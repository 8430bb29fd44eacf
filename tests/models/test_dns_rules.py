"""The DNS record rules as pure functions: every rule's valid and invalid side, and zone files."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from models.dns_rules import RecordData, clash, clean_record, clean_zone_name
from models.dns_zonefile import parse_zone, render_zone

ZONE = "example.com"


def clean(**fields):
    return clean_record(zone=ZONE, **{"ttl": None, **fields})


VALID = [
    ({"type": "A", "name": "@", "content": "192.0.2.1"}, {"content": "192.0.2.1"}),
    ({"type": "a", "name": "WWW", "content": " 192.0.2.1 "}, {"type": "A", "name": "www"}),
    ({"type": "AAAA", "name": "v6", "content": "2001:DB8:0::1"}, {"content": "2001:db8::1"}),
    (
        {"type": "CNAME", "name": "www", "content": "Target.Example.NET."},
        {"content": "target.example.net"},
    ),
    ({"type": "CNAME", "name": "web", "content": "@"}, {"content": "example.com"}),
    ({"type": "NS", "name": "sub", "content": "ns1.example.net"}, {"content": "ns1.example.net"}),
    ({"type": "MX", "name": "@", "content": "mx.example.com.", "priority": 0}, {"priority": 0}),
    (
        {"type": "MX", "name": "@", "content": "mx.example.com", "priority": 65535},
        {"priority": 65535},
    ),
    ({"type": "TXT", "name": "_dmarc", "content": "v=DMARC1; p=none"}, {"name": "_dmarc"}),
    ({"type": "TXT", "name": "big", "content": "x" * 4096}, {"content": "x" * 4096}),
    ({"type": "A", "name": "*", "content": "192.0.2.9"}, {"name": "*"}),
    ({"type": "A", "name": "*.dev", "content": "192.0.2.9"}, {"name": "*.dev"}),
    ({"type": "A", "name": "www.example.com.", "content": "192.0.2.1"}, {"name": "www"}),
    ({"type": "A", "name": "example.com.", "content": "192.0.2.1"}, {"name": "@"}),
    ({"type": "A", "name": "a.b-c.d_e", "content": "192.0.2.1"}, {"name": "a.b-c.d_e"}),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 60}, {"ttl": 60}),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 604800}, {"ttl": 604800}),
    ({"type": "A", "name": "x", "content": "192.0.2.1"}, {"ttl": 3600}),
    (
        {"type": "SRV", "name": "_sip._tcp", "content": "5 5060 sip.example.com.", "priority": 10},
        {"service": "_sip._tcp", "name": "@", "content": "5 5060 sip.example.com"},
    ),
    (
        {
            "type": "SRV",
            "name": "eu",
            "service": "_xmpp._tcp",
            "content": "0 5269 x.example.com",
            "priority": 1,
        },
        {"service": "_xmpp._tcp", "name": "eu"},
    ),
    ({"type": "CAA", "name": "@", "content": '0 issue "letsencrypt.org"'}, {"type": "CAA"}),
]

INVALID = [
    ({"type": "PTR", "name": "x", "content": "a.example.com"}, "type"),
    ({"type": 5, "name": "x", "content": "a"}, "type"),
    ({"type": "A", "name": "x", "content": "999.1.1.1"}, "content"),
    ({"type": "A", "name": "x", "content": "2001:db8::1"}, "content"),
    ({"type": "A", "name": "x", "content": "01.2.3.4"}, "content"),
    ({"type": "AAAA", "name": "x", "content": "192.0.2.1"}, "content"),
    ({"type": "AAAA", "name": "x", "content": "2001:db8::zz"}, "content"),
    ({"type": "CNAME", "name": "x", "content": "192.0.2.1"}, "content"),
    ({"type": "CNAME", "name": "x", "content": "bad host.example"}, "content"),
    ({"type": "CNAME", "name": "x", "content": "a..b"}, "content"),
    ({"type": "NS", "name": "x", "content": "-bad.example"}, "content"),
    ({"type": "NS", "name": "x", "content": "*.example.net"}, "content"),
    ({"type": "MX", "name": "x", "content": "mx.example.com"}, "priority"),
    ({"type": "MX", "name": "x", "content": "mx.example.com", "priority": -1}, "priority"),
    ({"type": "MX", "name": "x", "content": "mx.example.com", "priority": 65536}, "priority"),
    ({"type": "MX", "name": "x", "content": "mx.example.com", "priority": True}, "priority"),
    ({"type": "MX", "name": "x", "content": "not a host", "priority": 1}, "content"),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "priority": 1}, "priority"),
    ({"type": "TXT", "name": "x", "content": "x" * 4097}, "content"),
    ({"type": "TXT", "name": "x", "content": ""}, "content"),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 59}, "ttl"),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 604801}, "ttl"),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": "3600"}, "ttl"),
    ({"type": "A", "name": "", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "a..b", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "a*", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "dev.*", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "-x", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "x y", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "a" * 64, "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "www.other.org.", "content": "192.0.2.1"}, "name"),
    ({"type": "A", "name": "é", "content": "192.0.2.1"}, "name"),
    ({"type": "SRV", "name": "x", "content": "5 5060 sip.example.com", "priority": 1}, "service"),
    (
        {"type": "SRV", "name": "_sip._tcp", "content": "5 sip.example.com", "priority": 1},
        "content",
    ),
    (
        {"type": "SRV", "name": "_sip._tcp", "content": "5 70000 s.example.com", "priority": 1},
        "content",
    ),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "service": "_sip._tcp"}, "service"),
    ({"type": "CAA", "name": "@", "content": "issue letsencrypt.org"}, "content"),
]


@pytest.mark.parametrize(("fields", "expected"), VALID)
def test_valid_records_are_normalised(fields, expected):
    data = clean(**fields)
    for key, value in expected.items():
        assert getattr(data, key) == value


@pytest.mark.parametrize(("fields", "field"), INVALID)
def test_invalid_records_name_the_field(fields, field):
    with pytest.raises(Invalid) as caught:
        clean(**fields)
    assert field in caught.value.fields, caught.value.fields


def test_every_bad_field_is_named_at_once():
    with pytest.raises(Invalid) as caught:
        clean(type="MX", name="a..b", content="1.2.3.4", ttl=5)
    assert set(caught.value.fields) == {"name", "content", "ttl", "priority"}


def test_cname_stands_alone_both_ways():
    a = RecordData("A", "www", "192.0.2.1", 3600)
    cname = RecordData("CNAME", "www", "example.net", 3600)
    assert "name" in clash(cname, [a])
    assert "name" in clash(a, [cname])
    assert "name" in clash(cname, [RecordData("CNAME", "www", "other.net", 3600)])
    assert "name" in clash(RecordData("CNAME", "@", "example.net", 3600), [])
    assert clash(cname, [RecordData("A", "web", "192.0.2.1", 3600)]) == {}
    assert "content" in clash(a, [RecordData("A", "www", "192.0.2.1", 60)])


@pytest.mark.parametrize("name", ["example.com", "Sub.Example.COM.", "a-b.example", "x"])
def test_zone_names(name):
    assert clean_zone_name(name) == name.lower().rstrip(".")


@pytest.mark.parametrize("name", ["", ".", "a..b", "-a.com", "*.example.com", "a b.com", 7])
def test_bad_zone_names(name):
    with pytest.raises(Invalid) as caught:
        clean_zone_name(name)
    assert "name" in caught.value.fields


def test_render_then_parse_gives_the_same_records():
    records = [
        clean(type="A", name="@", content="192.0.2.1", ttl=300),
        clean(type="AAAA", name="www", content="2001:db8::1"),
        clean(type="CNAME", name="blog", content="www.example.com"),
        clean(type="MX", name="@", content="mx.example.net", priority=10),
        clean(type="TXT", name="@", content='v=spf1 "quoted" \\ é ' + "y" * 600),
        clean(type="NS", name="sub", content="ns.example.net"),
        clean(type="SRV", name="_sip._tcp", content="5 5060 sip.example.com", priority=1),
        clean(type="CAA", name="@", content='0 issuewild "ca.example"'),
        clean(type="A", name="*.dev", content="192.0.2.7"),
    ]
    text = render_zone(ZONE, records, serial=7)
    assert text.startswith("; zone example.com") and "$ORIGIN example.com.\n" in text
    assert "$TTL 3600\n" in text
    parsed, errors = parse_zone(text, ZONE)
    assert errors == {}
    assert set(p.data for p in parsed) == set(records) and len(parsed) == len(records)


def test_every_bad_line_is_reported_with_its_number():
    text = "\n".join(
        [
            "$ORIGIN example.com.",  # 1
            "$TTL 600",  # 2
            "ok A 192.0.2.1",  # 3
            "bad A 999.0.0.1",  # 4
            "; a comment",  # 5
            "mx MX 99999 mx.example.net.",  # 6
            "ptr PTR host.example.net.",  # 7
            "outside.org. A 192.0.2.1",  # 8
            'multi IN TXT ( "multi"',  # 9
            '    "line" )',  # 10
            "ttl 30 A 192.0.2.1",  # 11
            "$INCLUDE /etc/passwd",  # 12
            "fine AAAA 2001:db8::2",  # 13
        ]
    )
    parsed, errors = parse_zone(text, ZONE)
    assert set(errors) == {"line 4", "line 6", "line 7", "line 8", "line 11", "line 12"}
    assert "IPv4" in errors["line 4"] and "ttl" in errors["line 11"]
    assert [(p.line, p.data.name, p.data.type, p.data.ttl) for p in parsed] == [
        (3, "ok", "A", 600),
        (9, "multi", "TXT", 600),
        (13, "fine", "AAAA", 600),
    ]
    assert parsed[1].data.content == "multiline"


def test_an_open_parenthesis_at_the_end_is_one_error():
    parsed, errors = parse_zone('a A 192.0.2.1\nb TXT ( "x"\n', ZONE)
    assert list(errors) == ["line 2"] and len(parsed) == 1


def test_blank_lines_comments_crlf_and_a_byte_order_mark_are_fine():
    text = "\ufeff$ORIGIN example.com.\r\nwww A 192.0.2.1\r\n\tA 192.0.2.2\r\n \t\r\n  ; note\r\n"
    parsed, errors = parse_zone(text, ZONE)
    assert errors == {}
    assert [(p.line, p.data.name, p.data.content) for p in parsed] == [
        (2, "www", "192.0.2.1"),
        (3, "www", "192.0.2.2"),
    ]
