"""The rules a DNS record must follow, as pure functions (no database, no I/O).

`clean_record` checks every field at once and raises `Invalid` naming each bad field, so a
client sees all its mistakes in one answer. It also normalises: lowercase names, names
relative to the zone (`@` for the apex), host names fully qualified without the final dot,
canonical IPv6 and CAA text. The zone-level rules (CNAME stands alone, no duplicates) are
`clash`, fed by the caller with the zone's other records.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.rdata

from core.errors import Invalid

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA")
HOST_TYPES = {"CNAME", "NS", "MX"}
PRIORITY_TYPES = {"MX", "SRV"}
TTL_MIN, TTL_MAX, TTL_DEFAULT = 60, 604_800, 3600
TXT_MAX = 4096
NAME_MAX = 253  # a whole domain name in presentation form, without the final dot
U16 = 65_535

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_SERVICE_LABEL = re.compile(r"_[a-z0-9](?:[a-z0-9-]{0,60}[a-z0-9])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class RecordData:
    """A record's DNS data after cleaning: what is stored and compared."""

    type: str
    name: str
    content: str
    ttl: int
    priority: int | None = None
    service: str | None = None

    @property
    def owner(self) -> str:
        """The owner name relative to the zone; an SRV's service labels come first."""
        if not self.service:
            return self.name
        return self.service if self.name == "@" else f"{self.service}.{self.name}"

    @property
    def identity(self) -> tuple:
        """Two records with the same identity are the same DNS record (TTL aside)."""
        return (self.type, self.owner, self.content, self.priority)


def _labels_error(labels: list[str], *, wildcard: bool) -> str | None:
    for index, label in enumerate(labels):
        if label == "*":
            if wildcard and index == 0:
                continue
            return "'*' is allowed only as the whole leftmost label"
        if not label:
            return "empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"label {label[:20]!r}... is longer than 63 characters"
        if not _LABEL.fullmatch(label):
            return (
                f"label {label!r} may hold only letters, digits, '-' and '_' "
                "and may not start or end with '-'"
            )
    return None


def clean_zone_name(value: Any) -> str:
    """A zone's name: a lowercase domain name without the final dot."""
    if not isinstance(value, str):
        raise Invalid("invalid name", fields={"name": "must be a string"})
    name = value.strip().lower()
    if name.endswith("."):
        name = name[:-1]
    problem = None
    if not name:
        problem = "is required"
    elif len(name) > NAME_MAX:
        problem = f"at most {NAME_MAX} characters"
    else:
        problem = _labels_error(name.split("."), wildcard=False)
    if problem:
        raise Invalid(f"invalid zone name: {problem}", fields={"name": problem})
    return name


def clean_name(value: Any, zone: str) -> str:
    """A record name relative to `zone`: `@` or labels. Raises ValueError with the reason.

    `www.example.com.` (absolute, inside the zone) and `www.example.com` (ends with the zone
    name) both become `www`; an absolute name outside the zone is refused.
    """
    if not isinstance(value, str):
        raise ValueError("must be a string")
    name = value.strip().lower()
    if not name:
        raise ValueError("is required ('@' for the zone apex)")
    if name == "@":
        return name
    absolute = name.endswith(".")
    bare = name[:-1] if absolute else name
    if bare == zone:
        return "@"
    if bare.endswith("." + zone):
        bare = bare[: -len(zone) - 1]
    elif absolute:
        raise ValueError(f"{value.strip()!r} is not inside the zone {zone}")
    problem = _labels_error(bare.split("."), wildcard=True)
    if problem:
        raise ValueError(problem)
    if len(bare) + 1 + len(zone) > NAME_MAX:
        raise ValueError(f"the full name is longer than {NAME_MAX} characters")
    return bare


def clean_host(value: str, zone: str, *, allow_root: bool = False) -> str:
    """A host name in content: fully qualified, lowercase, without the final dot.

    `@` stands for the zone's own name; `.` (the root, "no host") only where allowed.
    """
    host = value.strip().lower()
    if host == "@":
        return zone
    if host == ".":
        if allow_root:
            return "."
        raise ValueError("must be a host name, not the root '.'")
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise ValueError("a host name is required")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValueError("must be a host name, not an IP address")
    if len(host) > NAME_MAX:
        raise ValueError(f"at most {NAME_MAX} characters")
    problem = _labels_error(host.split("."), wildcard=False)
    if problem:
        raise ValueError(f"not a host name: {problem}")
    return host


def _u16(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer 0-65535")
    if not 0 <= value <= U16:
        raise ValueError(f"{what} must be 0-65535")
    return value


def _clean_content(rtype: str, value: Any, zone: str) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if rtype == "TXT":
        if not value:
            raise ValueError("is required")
        if len(value) > TXT_MAX:
            raise ValueError(f"TXT content is at most {TXT_MAX} characters")
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    text = value.strip()
    if not text:
        raise ValueError("is required")
    if rtype == "A":
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            raise ValueError("an A record needs an IPv4 address") from None
    if rtype == "AAAA":
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            raise ValueError("an AAAA record needs an IPv6 address") from None
    if rtype in HOST_TYPES:
        return clean_host(text, zone, allow_root=rtype == "MX")
    if rtype == "SRV":
        parts = text.split()
        if len(parts) != 3 or not all(p.isdigit() for p in parts[:2]):
            raise ValueError("SRV content is 'weight port target', e.g. '5 5060 sip.example.com'")
        weight, port = _u16(int(parts[0]), "weight"), _u16(int(parts[1]), "port")
        return f"{weight} {port} {clean_host(parts[2], zone, allow_root=True)}"
    # CAA: dnspython knows the grammar; its text form is the canonical one.
    if len(text) > 1024:
        raise ValueError("CAA content is at most 1024 characters")
    try:
        return dns.rdata.from_text("IN", "CAA", text).to_text()
    except (dns.exception.DNSException, ValueError) as exc:
        raise ValueError(
            f"CAA content is 'flags tag \"value\"', e.g. '0 issue \"ca.example\"' ({exc})"
        ) from None


def _split_service(name: str) -> tuple[str | None, str]:
    """Leading `_service._proto` labels of an SRV name, and the rest (or `@`)."""
    labels = name.split(".") if name != "@" else []
    if len(labels) >= 2 and all(_SERVICE_LABEL.fullmatch(lbl) for lbl in labels[:2]):
        return ".".join(labels[:2]), ".".join(labels[2:]) or "@"
    return None, name


def clean_record(
    *,
    zone: str,
    type: Any,
    name: Any,
    content: Any,
    ttl: Any = None,
    priority: Any = None,
    service: Any = None,
) -> RecordData:
    """Check and normalise one record of `zone`; Invalid names every bad field."""
    errors: dict[str, str] = {}
    rtype = type.strip().upper() if isinstance(type, str) else None
    if rtype not in RECORD_TYPES:
        errors["type"] = f"must be one of {', '.join(RECORD_TYPES)}"

    try:
        clean_name_value = clean_name(name, zone)
    except ValueError as exc:
        errors["name"] = str(exc)
        clean_name_value = None

    if ttl is None:
        ttl = TTL_DEFAULT
    elif isinstance(ttl, bool) or not isinstance(ttl, int):
        errors["ttl"] = "must be an integer"
    elif not TTL_MIN <= ttl <= TTL_MAX:
        errors["ttl"] = f"must be {TTL_MIN}-{TTL_MAX} seconds"

    if rtype in PRIORITY_TYPES:
        if priority is None:
            errors["priority"] = f"an {rtype} record needs a priority 0-65535"
        else:
            try:
                _u16(priority, "priority")
            except ValueError as exc:
                errors["priority"] = str(exc)
    elif priority is not None and rtype is not None:
        errors["priority"] = "only MX and SRV records have a priority"

    if service == "":
        service = None
    if service is not None and rtype is not None and rtype != "SRV":
        errors["service"] = "only SRV records have a service"
    elif rtype == "SRV":
        if service is not None:
            if not isinstance(service, str):
                errors["service"] = "must be a string"
            else:
                service = service.strip().lower().rstrip(".")
                if _split_service(service) != (service, "@"):
                    errors["service"] = "is '_service._proto', e.g. '_sip._tcp'"
        elif clean_name_value is not None:
            service, clean_name_value = _split_service(clean_name_value)
            if service is None:
                errors["service"] = "an SRV record needs a service like '_sip._tcp'"

    if rtype is not None:
        try:
            content = _clean_content(rtype, content, zone)
        except ValueError as exc:
            errors["content"] = str(exc)

    if errors:
        names = ", ".join(sorted(errors))
        raise Invalid(f"invalid {names}", fields=errors)
    return RecordData(rtype, clean_name_value, content, ttl, priority, service)


def display_owner(owner: str) -> str:
    return "the zone apex (@)" if owner == "@" else repr(owner)


def clash(record: RecordData, others: Iterable[RecordData]) -> dict[str, str]:
    """Zone-level conflicts of `record` with the zone's other records, as field errors."""
    same_owner = [other for other in others if other.owner == record.owner]
    where = display_owner(record.owner)
    if record.type == "CNAME" and record.owner == "@":
        return {"name": "a CNAME cannot be at the zone apex (@)"}
    if record.type == "CNAME" and same_owner:
        return {"name": f"{where} already has records; a CNAME must be the only record there"}
    if record.type != "CNAME" and any(other.type == "CNAME" for other in same_owner):
        return {"name": f"{where} has a CNAME; no other record may share its name"}
    if any(other.identity == record.identity for other in same_owner):
        return {"content": "the same record already exists"}
    return {}
