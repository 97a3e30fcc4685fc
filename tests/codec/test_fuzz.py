"""Hostile bytes: every codec entry point either decodes or raises our own error.

Nothing else may escape (no ``KeyError``, ``TypeError``, msgpack or nacl
exception) and nothing may hang or allocate what a declared length asks for.
Inputs are random bytes, valid encodings with a few bytes mutated, arbitrary
msgpack documents, and hand-made worst cases (deep nesting, huge lengths).
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec import (
    Admission,
    Admitted,
    BadCodeError,
    Channel,
    ChannelKeys,
    HandshakeReply,
    JoinerHandshake,
    JoinTarget,
    PayloadKind,
    ProtocolError,
    SessionCode,
    decode_client_envelope,
    decode_message,
    decode_relay_envelope,
    encode_envelope,
    encode_message,
    payload_kind,
)
from codec._handshake import HostHandshake
from tests.codec.test_envelope import CLIENT_ENVELOPES, RELAY_ENVELOPES
from tests.codec.test_handshake import CODE
from tests.codec.test_messages import MESSAGES

if TYPE_CHECKING:
    from collections.abc import Callable

fuzz = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
slow_fuzz = settings(fuzz, max_examples=150)

# Hand-made worst cases -------------------------------------------------------

_HUGE_HEADERS = [
    b"\xdd\xff\xff\xff\xff",  # array32 of 4 G items
    b"\xdf\xff\xff\xff\xff",  # map32
    b"\xc6\xff\xff\xff\xff",  # bin32 of 4 GiB
    b"\xdb\xff\xff\xff\xff",  # str32
    b"\xc9\xff\xff\xff\xff\x01",  # ext32
    b"\xdc\xff\xff",  # array16 of 65535 items
    b"\xde\xff\xff",  # map16
]
HOSTILE: list[bytes] = [
    b"",
    b"\xc1",  # the one byte msgpack never uses
    b"\x91" * 100_000 + b"\xc0",  # arrays nested 100 000 deep
    b"\x81\xa1t" * 50_000 + b"\xc0",  # maps nested 50 000 deep
    b"\x93\x03\x05" + b"\x91" * 5_000 + b"\xc4\x00",  # deep payload inside a Send
    *_HUGE_HEADERS,
    *(b"\x93\x03\x05" + h for h in _HUGE_HEADERS),  # a Send whose payload claims 4 GiB
    *(b"\x82\xa1t\xa4chat\xa4text" + h for h in _HUGE_HEADERS),
    msgpack.packb([3, 5, b"x"]) + b"\x00",  # trailing bytes
    b"\xd6\xff\x00\x00\x00\x00",  # timestamp ext
    b"\xa2\xff\xfe",  # invalid UTF-8
    b"\x81\x90\x01",  # a list as map key
    b"\x81\x01\x01",  # an int as map key
]

# What the fuzzers start from --------------------------------------------------

ENVELOPES = [encode_envelope(e) for e in [*CLIENT_ENVELOPES, *RELAY_ENVELOPES]]
ENCODED_MESSAGES = [encode_message(m) for m in MESSAGES]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A valid encoding with a few bytes flipped, set, inserted, dropped or cut."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "append"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and pos < len(data):
            data[pos] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xC0, 0xC1, 0xDD, 0xDF, 0xFF]))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[pos:]
        else:
            data += draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def hostile(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        mutated(seeds),
        st.sampled_from(HOSTILE),
    )


msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=40),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=8) | st.binary(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)

FIELD_NAMES = ["t", "text", "to", "name", "key", "members", "session", "by", "reason", "id", "role"]
TYPE_NAMES = ["hello", "roster", "chat", "end", "leave", "alive", "shell"]
near_messages = st.builds(
    lambda t, fields: msgpack.packb({"t": t, **fields}, use_bin_type=True),
    st.sampled_from(TYPE_NAMES),
    st.dictionaries(
        st.sampled_from(FIELD_NAMES[1:]) | st.binary(max_size=4),
        msgpack_values
        | st.lists(
            st.fixed_dictionaries(
                {"id": st.integers(-1, 2**31), "name": st.text(max_size=70)},
                optional={"role": st.sampled_from(["rep", "customer", "x"]), "key": st.binary()},
            ),
            max_size=4,
        ),
        max_size=4,
    ),
)
near_envelopes = st.builds(
    lambda op, fields: msgpack.packb([op, *fields], use_bin_type=True),
    st.integers(-1, 20),
    st.lists(msgpack_values, max_size=4),
)


def only_our_error(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode(data)


# Decoders ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "decode",
    [decode_client_envelope, decode_relay_envelope, decode_message, payload_kind],
)
@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_worst_case_bytes_raise_a_protocol_error(
    decode: Callable[[bytes], object], data: bytes
) -> None:
    only_our_error(decode, data)


@fuzz
@given(data=hostile(ENVELOPES) | near_envelopes)
def test_any_bytes_decode_as_a_client_envelope_or_raise_protocol_error(data: bytes) -> None:
    only_our_error(decode_client_envelope, data)


@fuzz
@given(data=hostile(ENVELOPES) | near_envelopes)
def test_any_bytes_decode_as_a_relay_envelope_or_raise_protocol_error(data: bytes) -> None:
    only_our_error(decode_relay_envelope, data)


@fuzz
@given(data=hostile(ENCODED_MESSAGES) | near_messages)
def test_any_bytes_decode_as_a_message_or_raise_protocol_error(data: bytes) -> None:
    only_our_error(decode_message, data)


@fuzz
@given(value=msgpack_values)
def test_any_msgpack_document_decodes_or_raises_protocol_error(value: Any) -> None:
    data = msgpack.packb(value, use_bin_type=True)
    for decode in (decode_client_envelope, decode_relay_envelope, decode_message):
        only_our_error(decode, data)


@fuzz
@given(data=st.binary(max_size=20))
def test_payload_kind_names_a_kind_or_raises_protocol_error(data: bytes) -> None:
    try:
        kind = payload_kind(data)
    except ProtocolError:
        assert not data or data[0] not in set(PayloadKind)
    else:
        assert kind == data[0]


# The channel -------------------------------------------------------------------


@fuzz
@given(plaintext=st.binary(max_size=64), data=st.data())
def test_a_mutated_frame_is_rejected_or_opens_unchanged(
    plaintext: bytes, data: st.DataObject
) -> None:
    c2r, r2c = os.urandom(32), os.urandom(32)
    sender = Channel(ChannelKeys(send=c2r, receive=r2c), 1, 0)
    receiver = Channel(ChannelKeys(send=r2c, receive=c2r), 0, 1)
    frame = sender.seal(plaintext)
    damaged = data.draw(hostile([frame]))
    try:
        opened = receiver.open(damaged)
    except ProtocolError:
        assert receiver.open(frame) == plaintext  # the channel survives
    else:
        assert damaged == frame
        assert opened == plaintext


# The handshake -----------------------------------------------------------------


def _valid_transcript() -> tuple[bytes, bytes, bytes]:
    joiner = JoinerHandshake(CODE)
    host = HostHandshake(CODE.password, deadline=0.0)
    pake = joiner.start()
    reply = host.receive(pake)
    assert reply is not None
    return pake, reply, joiner.receive(reply)


PAKE, REPLY, CONFIRM = _valid_transcript()


@slow_fuzz
@given(data=hostile([REPLY]))
def test_any_reply_to_a_joiner_is_accepted_or_raises_protocol_error(data: bytes) -> None:
    joiner = JoinerHandshake(CODE)
    joiner.start()
    try:
        confirm = joiner.receive(data)
    except ProtocolError:
        return
    raise AssertionError(f"a joiner accepted a forged reply and answered {confirm!r}")


@slow_fuzz
@given(payloads=st.lists(hostile([PAKE, CONFIRM, bytes([PayloadKind.ABORT])]), max_size=3))
def test_any_payloads_to_the_host_end_in_an_event_never_an_exception(
    payloads: list[bytes],
) -> None:
    admission = Admission(CODE, max_failures=2)
    for payload in payloads:
        event = admission.receive(7, payload, now=0.0)
        assert not isinstance(event, Admitted)
        if isinstance(event, HandshakeReply):
            assert event.payload[0] == PayloadKind.PAKE_REPLY
    admission.expire(now=1e9)
    assert admission.next_deadline() is None


# Codes and links ---------------------------------------------------------------


@fuzz
@given(
    text=st.text(max_size=80)
    | st.from_regex(r"\s*[0-9 -]{0,20}\s*", fullmatch=True)
    | st.text(alphabet="0123456789- \t\u00a0\uff10", max_size=30)
)
def test_any_typed_text_is_a_code_or_raises_bad_code_error(text: str) -> None:
    try:
        code = SessionCode.parse(text)
    except BadCodeError:
        return
    assert SessionCode.parse(str(code)) == code
    assert code.room.isdigit()
    assert len(code.secret) >= 6


@fuzz
@given(
    link=st.text(max_size=80)
    | st.builds(
        "{}://{}/join#{}".format,
        st.sampled_from(["http", "https", "ws", ""]),
        st.text(max_size=20),
        st.text(max_size=20),
    )
)
def test_any_pasted_text_is_a_join_link_or_raises_bad_code_error(link: str) -> None:
    try:
        target = JoinTarget.from_link(link)
    except BadCodeError:
        return
    assert target.relay.startswith(("ws://", "wss://"))
