"""The fast path's hand-written codec against python-socketio's own Packet, on generated input.

* decode: `server.fastpath.server._parse_event` (the text EVENT parser) must agree with
  `socketio.packet.Packet(encoded_packet=...)` on every input it accepts: same namespace,
  ack id and arguments; where it declines (None) the stock decoder runs, and where it raises
  the stock decoder raises too.
* encode: `delivery.encode_event` / `encode_ack` must produce the bytes of
  `Packet(EVENT/ACK, ...).encode()`, binary attachments included.
Both sides use the same JSON module (Roomcast's, installed process-wide), so what is compared
is the framing, not the JSON library.
"""

from __future__ import annotations

import string

from engineio import packet as eio_packet
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from socketio import packet as sio_packet

from server.fastpath import FastAsyncServer, jsonmod
from server.fastpath.delivery import encode_ack, encode_event
from server.fastpath.server import _parse_event
from server.jsonin import is_id_name

SERVER = FastAsyncServer(async_mode="asgi")  # installs jsonmod as python-socketio's JSON
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


class Stock(sio_packet.Packet):
    json = jsonmod


_keys = st.text(max_size=8).filter(lambda k: not is_id_name(k))
json_values = st.recursive(
    st.none()
    | st.booleans()
    # the one decoder (server/jsonin.py) takes 64-bit signed integers: beyond, both refuse
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        # not `id`, `*_id`, `version`: jsonin bounds those to 32 bits (a refusal, not a parse)
        | st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=12,
)
namespaces = st.none() | st.text(
    alphabet=string.ascii_letters + string.digits + "/-_?=&é", min_size=0, max_size=12
).map(lambda s: "/" + s.replace(",", ""))
ack_ids = st.none() | st.integers(min_value=0, max_value=10**30)
events = st.tuples(st.text(min_size=1, max_size=12), st.lists(json_values, max_size=4))

# junk that looks like an EVENT: the characters the parser branches on
junk = st.text(alphabet='0123456789/,?[]{}"-: a\\²\u0661', max_size=30).map(lambda s: "2" + s)


def stock_decode(text: str):
    try:
        pkt = Stock(encoded_packet=text)
    except Exception as exc:
        return exc
    return pkt


def check(text: str) -> None:
    try:
        fast = _parse_event(text)
    except Exception as exc:
        assert isinstance(stock_decode(text), Exception), f"fast raised {exc!r}, stock decoded"
        return
    if fast is None:
        return  # declined: the stock decoder runs instead
    pkt = stock_decode(text)
    assert not isinstance(pkt, Exception), f"fast accepted what stock refuses: {pkt!r}"
    assert pkt.packet_type == sio_packet.EVENT and pkt.attachment_count == 0
    assert fast == (pkt.namespace, pkt.id, pkt.data)


@SETTINGS
@given(event=events, namespace=namespaces, ack_id=ack_ids)
def test_generated_events_parse_as_stock_parses_them(event, namespace, ack_id):
    name, args = event
    text = Stock(sio_packet.EVENT, data=[name, *args], namespace=namespace, id=ack_id).encode()
    check(text)
    assert _parse_event(text) is not None  # a plain event always takes the fast path


@SETTINGS
@given(text=junk)
@example('2/,5["a"]')
@example('2²["a"]')
@example('2\u0661\u0662["a"]')  # Arabic-Indic digits: int() takes them
@example('2/a?b,["x"]')
@example("2" + "1" * 101 + '["a"]')
def test_junk_is_parsed_as_stock_parses_it_or_left_to_stock(text):
    check(text)


@SETTINGS
@given(
    event=events,
    namespace=namespaces,
    cut=st.integers(min_value=0, max_value=40),
    ch=st.characters(),
)
def test_mutated_events_are_parsed_as_stock_parses_them(event, namespace, cut, ch):
    name, args = event
    text = Stock(sio_packet.EVENT, data=[name, *args], namespace=namespace).encode()
    cut = min(cut, len(text) - 1) + 1
    check(text[:cut] + ch + text[cut:])
    check(text[:cut] + text[cut + 1 :])


binary_leaves = json_values | st.binary(max_size=16)
binary_args = st.lists(
    st.recursive(binary_leaves, lambda inner: st.lists(inner, max_size=3), max_leaves=6), max_size=3
)


def expected_parts(packet_type, data, namespace, ack_id=None) -> list[str | bytes]:
    encoded = sio_packet.Packet(packet_type, data=data, namespace=namespace, id=ack_id).encode()
    return encoded if isinstance(encoded, list) else [encoded]


@SETTINGS
@given(name=st.text(min_size=1, max_size=10), args=binary_args, namespace=namespaces)
def test_emits_encode_as_stock_encodes_them(name, args, namespace):
    ns = namespace or "/"
    packets = encode_event(SERVER, name, tuple(args), ns)
    got = [p.data for p in packets]
    assert all(p.packet_type == eio_packet.MESSAGE for p in packets)
    assert got == expected_parts(sio_packet.EVENT, [name, *args], ns)


@SETTINGS
@given(args=binary_args, namespace=namespaces, ack_id=st.integers(min_value=0, max_value=2**53))
def test_acks_encode_as_stock_encodes_them(args, namespace, ack_id):
    text = encode_ack(SERVER, namespace, ack_id, args)
    want = expected_parts(sio_packet.ACK, args, namespace, ack_id)
    if text is None:  # binary: the server takes the stock path
        assert len(want) > 1
    else:
        assert [text] == want


deep_or_wide = st.recursive(
    st.integers() | st.floats(allow_nan=False) | st.text(alphabet="0123456789.e[]{}", max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["id", "n"]), inner)
    ),
    max_leaves=40,
)


@SETTINGS
@given(value=deep_or_wide)
@example(value=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])
@example(value={"id": 2**31})
@example(value={"ts": 1764644854000.5, "n": 12345678901})
@example(value=[-(2**63) - 1])
def test_the_decoder_skips_its_walk_only_where_the_walk_finds_nothing(value):
    # server/jsonin.loads skips `check` when the text has no long digit run and few brackets
    from server import jsonin

    text = jsonmod.dumps(value)
    try:
        jsonin.check(value)
    except jsonin.JsonRefused:
        assert jsonin._may_refuse(text)
