"""BIND zone files: render a zone's records, parse a file into checked records (pure).

Rendering writes `$ORIGIN` and `$TTL`, a generated SOA (so BIND tools accept the file), then
one line per record: owner names relative to the origin, host names absolute (final dot).
Parsing reads the file line by line with dnspython's tokenizer and rdata parsers, so that a
bad line is reported with its line number and parsing goes on: every bad line is reported,
as `{"line 12": "reason"}`. Records go through the same `clean_record` rules as the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tokenizer
import dns.ttl

from core.errors import Invalid
from models.dns_rules import RECORD_TYPES, TTL_DEFAULT, RecordData, clean_record

_BAD_DATA = {
    "A": "an A record needs an IPv4 address",
    "AAAA": "an AAAA record needs an IPv6 address",
}
_TXT_CHUNK = 255  # a TXT character-string holds at most 255 bytes


@dataclass(frozen=True)
class ParsedRecord:
    line: int
    data: RecordData


def _absolute(host: str) -> str:
    return "." if host == "." else f"{host}."


def rdata_text(data: RecordData) -> str:
    """The record's data in zone-file presentation form."""
    if data.type in ("CNAME", "NS"):
        return _absolute(data.content)
    if data.type == "MX":
        return f"{data.priority} {_absolute(data.content)}"
    if data.type == "SRV":
        weight, port, target = data.content.split()
        return f"{data.priority} {weight} {port} {_absolute(target)}"
    if data.type == "TXT":
        raw = data.content.encode()
        chunks = [raw[i : i + _TXT_CHUNK] for i in range(0, len(raw), _TXT_CHUNK)] or [b""]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks).to_text()
    return data.content  # A, AAAA, CAA: their stored text is already presentation form


def render_zone(
    zone: str, records: Iterable[RecordData], *, serial: int, default_ttl: int = TTL_DEFAULT
) -> str:
    records = sorted(records, key=lambda r: (r.owner != "@", r.owner, r.type, r.content))
    ns = next((r.content for r in records if r.type == "NS" and r.owner == "@"), f"ns.{zone}")
    lines = [
        f"; zone {zone}, exported by Roomcast",
        f"$ORIGIN {zone}.",
        f"$TTL {default_ttl}",
        f"@\t{default_ttl}\tIN\tSOA\t{_absolute(ns)} hostmaster.{zone}. "
        f"{serial} 3600 600 604800 300",
    ]
    for record in records:
        lines.append(f"{record.owner}\t{record.ttl}\tIN\t{record.type}\t{rdata_text(record)}")
    return "\n".join(lines) + "\n"


def serial_of(moments: Iterable[datetime]) -> int:
    """SOA serial from the newest change: seconds since the epoch fit the 32-bit field."""
    newest = max(moments, default=None)
    return int(newest.timestamp()) if newest else 1


def _skip_rest(tok: dns.tokenizer.Tokenizer, line: int) -> bool:
    """After a bad line: drop what is left of it; False when the tokenizer is stuck."""
    while True:
        if tok.line_number > line and tok.multiline == 0:
            return True
        try:
            token = tok.get()
        except dns.exception.DNSException:
            return False  # e.g. a parenthesis left open at the end of the file
        if token.is_eof() or (token.is_eol() and tok.multiline == 0):
            return True


def _content_of(rd: dns.rdata.Rdata) -> tuple[str, int | None]:
    """(content, priority) of a parsed rdata, in the API's stored form."""
    name = dns.rdatatype.to_text(rd.rdtype)
    if name in ("A", "AAAA"):
        return rd.address, None
    if name in ("CNAME", "NS"):
        return rd.target.to_text(omit_final_dot=True), None
    if name == "MX":
        return rd.exchange.to_text(omit_final_dot=True), rd.preference
    if name == "SRV":
        target = rd.target.to_text(omit_final_dot=True)
        return f"{rd.weight} {rd.port} {target}", rd.priority
    if name == "TXT":
        try:
            return b"".join(rd.strings).decode("utf-8"), None
        except UnicodeDecodeError:
            raise ValueError("TXT data is not UTF-8 text") from None
    return rd.to_text(), None  # CAA


def _reason(exc: Exception) -> str:
    if isinstance(exc, Invalid) and exc.fields:
        return "; ".join(f"{key}: {value}" for key, value in exc.fields.items())
    text = str(exc) or type(exc).__name__
    return text.removeprefix("caught exception ")


class _Reader:
    """One pass over a zone file; collects good records and the reasons of bad lines."""

    def __init__(self, text: str, zone: str) -> None:
        self.zone = zone
        self.origin = dns.name.from_text(zone)
        self.current_origin = self.origin
        self.default_ttl: int | None = None
        self.last_name: dns.name.Name | None = None
        self.tok = dns.tokenizer.Tokenizer(text, filename="zone file")
        self.records: list[ParsedRecord] = []
        self.errors: dict[str, str] = {}

    def read(self) -> None:
        while True:
            line = self.tok.line_number
            try:
                token = self.tok.get(want_leading=True, want_comment=True)
                if token.is_eof():
                    return
                if token.is_eol():
                    continue
                if token.is_comment():
                    self.tok.get_eol()
                    continue
                if token.is_identifier() and token.value.startswith("$"):
                    self._directive(token.value.upper())
                else:
                    self.tok.unget(token)
                    self._record(line)
            except (dns.exception.DNSException, ValueError, Invalid) as exc:
                self.errors[f"line {line}"] = _reason(exc)
                if not _skip_rest(self.tok, line):
                    return

    def _directive(self, directive: str) -> None:
        if directive == "$TTL":
            self.default_ttl = dns.ttl.from_text(self.tok.get_string())
            self.tok.get_eol()
        elif directive == "$ORIGIN":
            self.current_origin = self.tok.get_name(self.current_origin)
            self.tok.get_eol()
        else:
            raise ValueError(f"the {directive} directive is not supported")

    def _record(self, line: int) -> None:
        token = self.tok.get(want_leading=True)
        if token.is_whitespace():
            following = self.tok.get()
            if following.is_eol_or_eof():
                return  # a line of blanks (perhaps with a comment) is an empty line
            self.tok.unget(following)
            if self.last_name is None:
                raise ValueError("no owner name (the first record must name its owner)")
        else:
            self.last_name = self.tok.as_name(token, self.current_origin)
        owner = self.last_name
        ttl = None
        token = self.tok.get()
        # TTL and class, in either order, both optional (RFC 1035 section 5.1).
        for _ in range(2):
            if ttl is None and token.is_identifier() and token.value[:1].isdigit():
                ttl = dns.ttl.from_text(token.value)
                token = self.tok.get()
            elif token.is_identifier() and token.value.upper() in ("IN", "CH", "HS", "CS"):
                if token.value.upper() != "IN":
                    raise ValueError(f"class {token.value} is not supported (only IN)")
                token = self.tok.get()
        if not token.is_identifier():
            raise ValueError("the record type is missing")
        rtype = token.value.upper()
        if rtype != "SOA" and rtype not in RECORD_TYPES:
            raise ValueError(f"record type {token.value!r} is not supported")
        try:
            rd = dns.rdata.from_text(
                dns.rdataclass.IN, rtype, self.tok, self.current_origin, relativize=False
            )
        except dns.exception.DNSException as exc:
            reason = _reason(exc)
            if "expected EOL" in reason:
                raise ValueError(f"unexpected text after the {rtype} data: {reason}") from None
            raise ValueError(_BAD_DATA.get(rtype, f"bad {rtype} data: {reason}")) from None
        if not owner.is_subdomain(self.origin):
            raise ValueError(f"{owner} is not inside the zone {self.zone}")
        if rtype == "SOA":
            return  # the zone's SOA is generated on export, never stored
        content, priority = _content_of(rd)
        data = clean_record(
            zone=self.zone,
            type=rtype,
            name=owner.relativize(self.origin).to_text().lower(),
            content=content,
            ttl=ttl if ttl is not None else (self.default_ttl or TTL_DEFAULT),
            priority=priority,
        )
        self.records.append(ParsedRecord(line, data))


def parse_zone(text: str, zone: str) -> tuple[list[ParsedRecord], dict[str, str]]:
    """The file's records (checked one by one) and `{"line N": reason}` for every bad line."""
    reader = _Reader(text.removeprefix("\ufeff"), zone)
    reader.read()
    return reader.records, reader.errors
