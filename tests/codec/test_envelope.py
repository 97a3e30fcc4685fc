"""The relay envelope: what round-trips, and every malformed form the decoders refuse."""

from __future__ import annotations

import os
from typing import Any

import msgpack
import pytest

from codec import (
    REJOIN_TOKEN_BYTES,
    ClientEnvelope,
    CreateRoom,
    Delivered,
    HandOver,
    JoinRoom,
    Kick,
    LimitExceededError,
    Limits,
    LocalProtocolError,
    MemberJoined,
    MemberLeft,
    ProtocolError,
    RelayEnvelope,
    RelayRejected,
    Send,
    Welcome,
    decode_client_envelope,
    decode_relay_envelope,
    encode_envelope,
    encode_send_head,
    is_valid_room_id,
)

MAX_ID = 2**31 - 1
TOKEN = bytes(range(REJOIN_TOKEN_BYTES))

CLIENT_ENVELOPES: list[ClientEnvelope] = [
    CreateRoom(),
    CreateRoom(1, 4),
    CreateRoom(1, 4, TOKEN),
    JoinRoom(),
    JoinRoom(3),
    JoinRoom(3, TOKEN),
    Send(0, b""),
    Send(MAX_ID, b"\x10" + bytes(range(256))),
    Kick(7),
    HandOver(3),
]
RELAY_ENVELOPES: list[RelayEnvelope] = [
    Welcome(1, 0, ()),
    Welcome(3, 0, (0, 1, 2, MAX_ID)),
    Welcome(2, 1, (1,), TOKEN),
    MemberJoined(4),
    MemberLeft(MAX_ID),
    Delivered(0, b""),
    Delivered(9, b"\x01" * 1000),
    RelayRejected("room-full", "this session already has 8 people", True),
    RelayRejected("not-host", "", False),
]


def raw(*items: Any) -> bytes:
    """An envelope-shaped msgpack array, valid or not, as a hostile sender would write it."""
    return msgpack.packb(list(items), use_bin_type=True)


def assert_malformed(decode: Any, data: bytes | bytearray) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(data)
    assert type(info.value) is ProtocolError
    assert info.value.reason == "malformed"


@pytest.mark.parametrize("env", CLIENT_ENVELOPES, ids=repr)
def test_every_client_envelope_round_trips(env: ClientEnvelope) -> None:
    assert decode_client_envelope(encode_envelope(env)) == env


@pytest.mark.parametrize("env", RELAY_ENVELOPES, ids=repr)
def test_every_relay_envelope_round_trips(env: RelayEnvelope) -> None:
    assert decode_relay_envelope(encode_envelope(env)) == env


def test_the_rejoin_token_travels_with_the_welcome_and_the_rejoin() -> None:
    welcome = decode_relay_envelope(encode_envelope(Welcome(2, 1, (1,), TOKEN)))
    assert isinstance(welcome, Welcome)
    assert welcome.token == TOKEN
    join = decode_client_envelope(encode_envelope(JoinRoom(2, TOKEN)))
    assert join == JoinRoom(2, TOKEN)
    assert join != JoinRoom(2)


def test_a_rejoin_token_never_shows_in_a_repr_so_never_in_a_log() -> None:
    for env in (Welcome(2, 1, (1,), TOKEN), JoinRoom(2, TOKEN), CreateRoom(1, 4, TOKEN)):
        assert repr(TOKEN) not in repr(env)


@pytest.mark.parametrize(
    "data",
    [
        raw(2, 3, b""),
        raw(2, 3, b"x" * (REJOIN_TOKEN_BYTES - 1)),
        raw(2, 3, b"x" * (REJOIN_TOKEN_BYTES + 1)),
        raw(2, 3, "x" * REJOIN_TOKEN_BYTES),
        raw(2, 3, None),
        raw(2, 3, TOKEN, 4),
        raw(1, 1, 4, b"short"),
        raw(1, 1, 4, TOKEN, 5),
    ],
    ids=["empty", "short", "long", "str", "nil", "join+1", "create-short", "create+1"],
)
def test_a_rejoin_with_a_malformed_token_is_rejected(data: bytes) -> None:
    assert_malformed(decode_client_envelope, data)


@pytest.mark.parametrize(
    "data",
    [raw(10, 2, 1, [1], b"short"), raw(10, 2, 1, [1], None), raw(10, 2, 1, [1], "t" * 16)],
    ids=["short", "nil", "str"],
)
def test_a_welcome_with_a_malformed_token_is_rejected(data: bytes) -> None:
    assert_malformed(decode_relay_envelope, data)


def test_a_token_without_the_id_it_is_for_cannot_be_encoded() -> None:
    with pytest.raises(LocalProtocolError, match="rejoin token goes with the endpoint id"):
        encode_envelope(JoinRoom(None, TOKEN))


def test_a_small_send_costs_at_most_five_bytes_of_envelope() -> None:
    assert len(encode_envelope(Send(5, b"x"))) - len(b"x") <= 5


def test_a_long_rejection_message_is_cut_to_fit_and_still_decodes() -> None:
    decoded = decode_relay_envelope(encode_envelope(RelayRejected("limit", "x" * 2000, True)))
    assert isinstance(decoded, RelayRejected)
    assert decoded.message == "x" * 500


@pytest.mark.parametrize(
    "data",
    [
        msgpack.packb({"op": 3}),
        msgpack.packb(3),
        msgpack.packb("send"),
        msgpack.packb(None),
        msgpack.packb(b"\x03"),
        raw(),
        raw("3", 1, b""),
        raw(True),
        raw(3.0, 1, b""),
        raw([3], 1, b""),
    ],
    ids=["map", "int", "str", "nil", "bin", "empty", "op-str", "op-bool", "op-float", "op-list"],
)
@pytest.mark.parametrize("decode", [decode_client_envelope, decode_relay_envelope])
def test_an_envelope_that_is_not_an_op_array_is_rejected(decode: Any, data: bytes) -> None:
    assert_malformed(decode, data)


@pytest.mark.parametrize("op", [0, 5, 9, 15, 99, -1, 2**40, 2**64 - 1, -(2**63)])
@pytest.mark.parametrize("decode", [decode_client_envelope, decode_relay_envelope])
def test_an_unknown_op_is_rejected(decode: Any, op: int) -> None:
    assert_malformed(decode, raw(op, 1, b""))


@pytest.mark.parametrize(
    "data",
    [
        raw(1, 0),
        raw(2, b""),
        raw(3, 1),
        raw(3, 1, b"", b""),
        raw(4),
        raw(4, 1, 2),
    ],
    ids=["create+1", "join+1", "send-1", "send+1", "kick-1", "kick+1"],
)
def test_a_client_envelope_with_the_wrong_arity_is_rejected(data: bytes) -> None:
    assert_malformed(decode_client_envelope, data)


@pytest.mark.parametrize(
    "data",
    [
        raw(10, 1, 0),
        raw(10, 1, 0, [], TOKEN, 9),
        raw(11),
        raw(11, 1, 2),
        raw(12),
        raw(13, 1),
        raw(13, 1, b"", 2),
        raw(14, "r", "m"),
        raw(14, "r", "m", True, 1),
    ],
    ids=[
        "welcome-1",
        "welcome+1",
        "joined-1",
        "joined+1",
        "left-1",
        "delivered-1",
        "delivered+1",
        "rejected-1",
        "rejected+1",
    ],
)
def test_a_relay_envelope_with_the_wrong_arity_is_rejected(data: bytes) -> None:
    assert_malformed(decode_relay_envelope, data)


@pytest.mark.parametrize(
    "data",
    [
        raw(3, "1", b""),
        raw(3, 1.0, b""),
        raw(3, True, b""),
        raw(3, None, b""),
        raw(3, 1, "text, not bytes"),
        raw(3, 1, [1, 2]),
        raw(3, 1, None),
        raw(4, b"\x01"),
    ],
    ids=[
        "to-str",
        "to-float",
        "to-bool",
        "to-nil",
        "payload-str",
        "payload-list",
        "payload-nil",
        "kick-bin",
    ],
)
def test_a_client_envelope_with_wrong_field_types_is_rejected(data: bytes) -> None:
    assert_malformed(decode_client_envelope, data)


@pytest.mark.parametrize(
    "data",
    [
        raw(10, 1, 0, 1),
        raw(10, 1, 0, {"a": 1}),
        raw(10, 1, 0, ["1"]),
        raw(10, 1, 0, [None]),
        raw(10, "1", 0, []),
        raw(11, False),
        raw(13, 1, "payload"),
        raw(14, b"reason", "m", True),
        raw(14, "r", b"message", True),
        raw(14, "r", "m", 1),
        raw(14, "r", "m", None),
    ],
    ids=[
        "members-int",
        "members-map",
        "member-str",
        "member-nil",
        "id-str",
        "joined-bool",
        "delivered-str",
        "reason-bin",
        "message-bin",
        "fatal-int",
        "fatal-nil",
    ],
)
def test_a_relay_envelope_with_wrong_field_types_is_rejected(data: bytes) -> None:
    assert_malformed(decode_relay_envelope, data)


@pytest.mark.parametrize(
    "data", [raw(14, "r" * 65, "m", True), raw(14, "r", "m" * 501, True)], ids=["reason", "message"]
)
def test_a_relay_envelope_with_over_long_text_is_refused_as_over_the_limit(data: bytes) -> None:
    with pytest.raises(LimitExceededError):
        decode_relay_envelope(data)


def test_relay_text_with_a_bidi_override_is_refused_naming_it() -> None:
    with pytest.raises(ProtocolError, match="U\\+202E RIGHT-TO-LEFT OVERRIDE is not allowed"):
        decode_relay_envelope(raw(14, "r", "call \u202e0000 support", True))


@pytest.mark.parametrize("bad_id", [-1, -(2**31), 2**31, 2**32, 2**63, 2**64 - 1])
def test_negative_and_huge_endpoint_ids_are_rejected(bad_id: int) -> None:
    assert_malformed(decode_client_envelope, raw(3, bad_id, b""))
    assert_malformed(decode_client_envelope, raw(4, bad_id))
    assert_malformed(decode_relay_envelope, raw(10, bad_id, 0, []))
    assert_malformed(decode_relay_envelope, raw(10, 1, bad_id, []))
    assert_malformed(decode_relay_envelope, raw(10, 1, 0, [2, bad_id]))
    assert_malformed(decode_relay_envelope, raw(11, bad_id))
    assert_malformed(decode_relay_envelope, raw(12, bad_id))
    assert_malformed(decode_relay_envelope, raw(13, bad_id, b""))


@pytest.mark.parametrize("env", RELAY_ENVELOPES, ids=repr)
def test_a_relay_op_sent_by_a_client_is_rejected(env: RelayEnvelope) -> None:
    assert_malformed(decode_client_envelope, encode_envelope(env))


@pytest.mark.parametrize("env", CLIENT_ENVELOPES, ids=repr)
def test_a_client_op_sent_by_the_relay_is_rejected(env: ClientEnvelope) -> None:
    assert_malformed(decode_relay_envelope, encode_envelope(env))


@pytest.mark.parametrize(
    "text", ["\x1b[2J\x1b[Hyou are hacked", "line\nbreak", "\u202eevil", "bell\x07"]
)
def test_relay_rejection_text_with_control_characters_is_rejected(text: str) -> None:
    assert_malformed(decode_relay_envelope, raw(14, "r", text, True))
    assert_malformed(decode_relay_envelope, raw(14, text, "m", True))


def test_an_oversize_envelope_is_rejected_before_it_is_unpacked() -> None:
    limits = Limits(max_envelope_bytes=100)
    data = encode_envelope(Send(1, b"x" * 100))
    with pytest.raises(LimitExceededError) as info:
        decode_client_envelope(data, limits)
    assert info.value.reason == "limit"
    with pytest.raises(LimitExceededError):
        decode_relay_envelope(encode_envelope(Delivered(1, b"x" * 100)), limits)


def test_an_envelope_just_under_the_default_limit_is_accepted() -> None:
    payload = b"x" * (4 * 1024 * 1024 - 16)
    assert decode_client_envelope(encode_envelope(Send(1, payload))) == Send(1, payload)
    with pytest.raises(LimitExceededError):
        decode_client_envelope(encode_envelope(Send(1, payload + b"x" * 16)))


def test_trailing_bytes_after_an_envelope_are_rejected() -> None:
    assert_malformed(decode_client_envelope, encode_envelope(JoinRoom()) + b"\x00")


def test_encoding_something_that_is_not_an_envelope_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        encode_envelope("hello")  # type: ignore[arg-type]


@pytest.mark.parametrize("room", ["4821", "a", "abcDEF123", "9" * 32])
def test_plain_short_room_ids_are_valid(room: str) -> None:
    assert is_valid_room_id(room)


@pytest.mark.parametrize(
    "room", ["", "9" * 33, "48-21", "48 21", "../x", "\uff14\uff18\uff12\uff11", "é"]
)
def test_room_ids_that_do_not_fit_a_url_path_are_invalid(room: str) -> None:
    assert not is_valid_room_id(room)


@pytest.mark.parametrize("size", [0, 1, 255, 256, 65_535, 65_536, 1 << 20])
@pytest.mark.parametrize("to", [0, 127, 128, 65_536, 2**31 - 1])
def test_a_send_head_and_its_payload_are_the_send_envelope(to: int, size: int) -> None:
    payload = os.urandom(size)
    assert encode_send_head(to, size) + payload == encode_envelope(Send(to, payload))


@pytest.mark.parametrize("size", [1, 300, 70_000])
def test_a_delivery_in_a_bytearray_keeps_its_payload_in_place(size: int) -> None:
    data = bytearray(encode_envelope(Delivered(7, os.urandom(size))))
    env = decode_relay_envelope(data)
    assert env == decode_relay_envelope(bytes(data))
    assert isinstance(env, Delivered)
    assert isinstance(env.payload, memoryview)
    assert env.payload.obj is data


@pytest.mark.parametrize(
    "data",
    [
        raw(13, 1, b"x") + b"\x00",  # trailing bytes
        raw(13, 1, b"x")[:-1],  # cut short
        raw(13, -1, b"x"),  # not an id
        raw(13, 2**31, b"x"),  # past the largest id
        raw(13, 1, "text, not bytes"),
        raw(13, 1),
    ],
)
def test_a_malformed_delivery_in_a_bytearray_is_rejected_as_in_bytes(data: bytes) -> None:
    assert_malformed(decode_relay_envelope, data)
    assert_malformed(decode_relay_envelope, bytearray(data))
