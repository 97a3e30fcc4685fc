"""Helpline's sans-IO protocol core: bytes in, events out; events in, bytes out.

Nothing here does IO, starts tasks or reads a clock; a test asserts that no
module of this package imports trio, sockets, Qt or ``time``.
"""

from __future__ import annotations

from codec._envelope import (
    ClientEnvelope,
    CreateRoom,
    Delivered,
    JoinRoom,
    Kick,
    MemberJoined,
    MemberLeft,
    RelayEnvelope,
    RelayRejected,
    Send,
    Welcome,
    decode_client_envelope,
    decode_relay_envelope,
    encode_envelope,
    is_valid_room_id,
)
from codec._errors import (
    HelplineError,
    LimitExceededError,
    LocalProtocolError,
    ProtocolError,
    TamperedMessageError,
    WrongCodeError,
)
from codec._limits import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_LIMITS",
    "ClientEnvelope",
    "CreateRoom",
    "Delivered",
    "HelplineError",
    "JoinRoom",
    "Kick",
    "LimitExceededError",
    "Limits",
    "LocalProtocolError",
    "MemberJoined",
    "MemberLeft",
    "ProtocolError",
    "RelayEnvelope",
    "RelayRejected",
    "Send",
    "TamperedMessageError",
    "Welcome",
    "WrongCodeError",
    "decode_client_envelope",
    "decode_relay_envelope",
    "encode_envelope",
    "is_valid_room_id",
]
