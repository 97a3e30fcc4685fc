"""The peer's WebSocket mask: the same bytes as wsproto's own, only faster."""

from __future__ import annotations

import os

import pytest
from wsproto import frame_protocol

from peer._ws_masking import (
    WSPROTO_MASKER,
    WSPROTO_SERIALIZE,
    WordMasker,
    masked_frame,
    serialize_frame,
)


@pytest.mark.parametrize("size", [0, 1, 3, 7, 8, 9, 64 * 1024 + 5])
def test_a_payload_is_masked_exactly_as_wsproto_masks_it(size: int) -> None:
    key, data = os.urandom(4), os.urandom(size)
    assert WordMasker(key).process(data) == WSPROTO_MASKER(key).process(bytearray(data))


def test_a_payload_masked_in_pieces_equals_it_masked_whole() -> None:
    key, data = os.urandom(4), os.urandom(1000)
    reference, pieces = WSPROTO_MASKER(key), WordMasker(key)
    whole = reference.process(bytearray(data))
    assert (
        pieces.process(data[:13]) + pieces.process(data[13:501]) + pieces.process(data[501:])
        == whole
    )


def test_masking_twice_gives_the_payload_back() -> None:
    key, data = os.urandom(4), os.urandom(4099)
    assert WordMasker(key).process(WordMasker(key).process(data)) == data


def test_the_peers_connection_masks_with_it() -> None:
    import peer._connection  # noqa: F401  (importing it installs the mask)

    assert getattr(frame_protocol, "XorMaskerSimple") is WordMasker  # noqa: B009


@pytest.mark.parametrize("size", [4095, 4096, 4099, 65_535, 65_536, 1 << 20, (1 << 20) + 3])
@pytest.mark.parametrize("fin", [True, False])
def test_a_large_frame_is_framed_as_wsproto_frames_it(
    size: int, fin: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, payload = os.urandom(4), os.urandom(size)
    monkeypatch.setattr("os.urandom", lambda n: key)
    client = frame_protocol.FrameProtocol(client=True, extensions=[])
    reference = WSPROTO_SERIALIZE(client, frame_protocol.Opcode.BINARY, payload, fin)
    monkeypatch.setattr(frame_protocol, "XorMaskerSimple", WSPROTO_MASKER)
    assert bytes(serialize_frame(client, frame_protocol.Opcode.BINARY, payload, fin)) == bytes(
        reference
    )


def test_the_peers_connection_frames_with_it() -> None:
    import peer._connection  # noqa: F401  (importing it installs the framing)

    assert frame_protocol.FrameProtocol._serialize_frame is serialize_frame


@pytest.mark.parametrize(
    "sizes", [(0,), (5,), (3, 122), (9, 117, 1), (7, 65_529), (13, 1 << 20), (1, 2, 3, 70_000)]
)
def test_parts_are_framed_as_wsproto_frames_them_joined(
    sizes: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = os.urandom(4)
    parts = [os.urandom(n) for n in sizes]
    monkeypatch.setattr("os.urandom", lambda n: key)
    monkeypatch.setattr(frame_protocol, "XorMaskerSimple", WSPROTO_MASKER)
    client = frame_protocol.FrameProtocol(client=True, extensions=[])
    joined = b"".join(parts)
    reference = WSPROTO_SERIALIZE(client, frame_protocol.Opcode.BINARY, joined, True)
    assert bytes(masked_frame(0x82, parts)) == bytes(reference)
