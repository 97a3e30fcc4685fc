"""Helpline's sans-IO protocol core: bytes in, events out; events in, bytes out.

Nothing here does IO, starts tasks or reads a clock; a test asserts that no
module of this package imports trio, sockets, Qt or ``time``.
"""

from __future__ import annotations

from codec._admission import (
    DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_MAX_FAILURES,
    Admission,
    Admitted,
    AttemptFailed,
    HandshakeReply,
)
from codec._channel import Channel
from codec._code import BadCodeError, JoinTarget, SessionCode
from codec._envelope import (
    MAX_ENDPOINT_ID,
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
from codec._handshake import JoinerHandshake, abort_payload
from codec._keys import ChannelKeys, member_channel_keys
from codec._limits import DEFAULT_LIMITS, Limits
from codec._messages import (
    Chat,
    Hello,
    Leave,
    Member,
    Message,
    Role,
    Roster,
    SessionEnd,
    decode_message,
    encode_message,
    is_clean_text,
)
from codec._payload import PayloadKind, payload_kind
from codec.screen import ScreenDecoder, ScreenEncoder

__all__ = [
    "DEFAULT_HANDSHAKE_TIMEOUT",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_FAILURES",
    "MAX_ENDPOINT_ID",
    "Admission",
    "Admitted",
    "AttemptFailed",
    "BadCodeError",
    "Channel",
    "ChannelKeys",
    "Chat",
    "ClientEnvelope",
    "CreateRoom",
    "Delivered",
    "HandshakeReply",
    "Hello",
    "HelplineError",
    "JoinRoom",
    "JoinTarget",
    "JoinerHandshake",
    "Kick",
    "Leave",
    "LimitExceededError",
    "Limits",
    "LocalProtocolError",
    "Member",
    "MemberJoined",
    "MemberLeft",
    "Message",
    "PayloadKind",
    "ProtocolError",
    "RelayEnvelope",
    "RelayRejected",
    "Role",
    "Roster",
    "ScreenDecoder",
    "ScreenEncoder",
    "Send",
    "SessionCode",
    "SessionEnd",
    "TamperedMessageError",
    "Welcome",
    "WrongCodeError",
    "abort_payload",
    "decode_client_envelope",
    "decode_message",
    "decode_relay_envelope",
    "encode_envelope",
    "encode_message",
    "is_clean_text",
    "is_valid_room_id",
    "member_channel_keys",
    "payload_kind",
]
