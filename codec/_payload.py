"""The first byte of every endpoint-to-endpoint payload says what follows.

Handshake messages are public (SPAKE2 messages and confirmations reveal
nothing about the code); everything else is a sealed channel frame.
"""

from __future__ import annotations

from enum import IntEnum

from codec._errors import ProtocolError

__all__ = ["PayloadKind", "payload_kind"]


class PayloadKind(IntEnum):
    PAKE = 1  # joiner -> host: SPAKE2 message
    PAKE_REPLY = 2  # host -> joiner: SPAKE2 message + host's key confirmation
    CONFIRM = 3  # joiner -> host: joiner's key confirmation
    ABORT = 4  # joiner -> host: "my key differs" (so the host counts the attempt now)
    NOT_ADMITTING = 5  # host -> joiner: no reply to this attempt; one byte says why
    SYNC = 6  # either way on a channel: where to resume after a drop (codec._resume)
    SEALED = 16  # an AEAD frame of an established channel


def payload_kind(payload: bytes | memoryview) -> PayloadKind:
    if not payload:
        raise ProtocolError("empty payload", reason="malformed")
    try:
        return PayloadKind(payload[0])
    except ValueError:
        raise ProtocolError(f"unknown payload kind {payload[0]}", reason="malformed") from None
