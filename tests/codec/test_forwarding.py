"""Forwarding a Send without unpacking it agrees with the full decoder on every input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from codec import (
    MAX_ENDPOINT_ID,
    Delivered,
    ProtocolError,
    Send,
    decode_client_envelope,
    delivered_prefix,
    encode_envelope,
    split_send,
)

ids = st.integers(min_value=0, max_value=MAX_ENDPOINT_ID)
payloads = st.binary(max_size=300) | st.sampled_from([b"x" * 255, b"x" * 256, b"x" * 65536])


@given(ids, payloads)
def test_a_send_splits_into_its_target_and_payload(to: int, payload: bytes) -> None:
    data = encode_envelope(Send(to, payload))
    split = split_send(data)
    assert split is not None
    assert split[0] == to
    assert data[split[1] :] == payload


@given(ids, payloads)
def test_prefix_and_payload_are_exactly_the_delivered_envelope(sender: int, payload: bytes) -> None:
    assert delivered_prefix(sender, len(payload)) + payload == encode_envelope(
        Delivered(sender, payload)
    )


@given(st.binary(max_size=40))
def test_whatever_split_send_accepts_the_decoder_reads_as_the_same_send(data: bytes) -> None:
    split = split_send(data)
    if split is None:
        return
    try:
        envelope = decode_client_envelope(data)
    except ProtocolError as exc:  # pragma: no cover - the property under test
        raise AssertionError(f"split_send accepted what the decoder refuses: {exc}") from None
    assert envelope == Send(split[0], data[split[1] :])


def test_non_canonical_or_broken_sends_are_left_to_the_decoder() -> None:
    good = encode_envelope(Send(5, b"abc"))
    assert split_send(good) == (5, 5)
    assert split_send(good + b"x") is None  # trailing bytes
    assert split_send(good[:-1]) is None  # truncated payload
    assert split_send(b"\x93\x03\xcc\x05\xc4\x03abc") is None  # 5 as uint8: not canonical
    assert split_send(b"\x93\x03\x05\xc5\x00\x03abc") is None  # bin16 for 3 bytes
    assert split_send(b"\x93\x03\xce\xff\xff\xff\xff\xc4\x00") is None  # id out of range
    assert split_send(b"\x93\x04\x05\xc4\x00") is None  # not a Send
