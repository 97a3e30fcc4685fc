"""The relay envelope: the only part of the wire the relay reads.

Theory of operation
-------------------
Each endpoint holds one WebSocket to ``/s/<room>``. Its first message says
whether it *creates* the room (the controlling rep) or *joins* it. The relay
answers :class:`Welcome` with the endpoint id it assigned, the id of the
room's host and the members already there; afterwards it tells everyone when
a member joins or leaves.

Data travels as :class:`Send` (to one endpoint id, opaque payload) and
arrives as :class:`Delivered` stamped by the relay with the sender's id. The
payload is end-to-end ciphertext or a public handshake message; the relay
never looks inside. The host may ask the relay to :class:`Kick` an endpoint
(a joiner that failed the code, for instance), and may hand the host's part
to another member with :class:`HandOver` when control of the session moves
(SPEC M5): later joiners are then welcomed with that member as the host, so
their handshakes reach it, and only it may kick. The relay is not believed
about who controls a session (members learn that from the controlling rep,
end to end); HandOver only routes joins.

The Welcome also carries the endpoint's *rejoin token*, a random secret
of :data:`REJOIN_TOKEN_BYTES`: coming back after a drop, the endpoint names
its old id and that token (JoinRoom, or CreateRoom when the relay lost the
room), and the relay gives the place only to whoever presents it. The token
keeps a stranger who knows the room id out of a member's place at the
relay; it proves nothing end to end (a relay that restarted knows no
tokens, and the first to claim an id then sets its token), which is the
resume protocol's job (``codec._resume``).

Every envelope is a msgpack array whose first item is an :class:`Op` code;
arrays keep the per-message overhead at a few bytes for small chat frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from codec._errors import LocalProtocolError, ProtocolError
from codec._limits import DEFAULT_LIMITS, Limits
from codec._validate import MAX_ENDPOINT_ID, check_id, check_text
from codec._wire import bin_head, pack, read_bin_head, read_uint, unpack

__all__ = [
    "REJOIN_TOKEN_BYTES",
    "ClientEnvelope",
    "CreateRoom",
    "Delivered",
    "HandOver",
    "JoinRoom",
    "Kick",
    "MemberJoined",
    "MemberLeft",
    "RelayEnvelope",
    "RelayRejected",
    "Send",
    "Welcome",
    "decode_client_envelope",
    "decode_relay_envelope",
    "encode_envelope",
    "encode_send_head",
]

MAX_REASON_CHARS = 64
MAX_MESSAGE_CHARS = 500
#: A rejoin token's length: 128 random bits, beyond guessing within a room's life.
REJOIN_TOKEN_BYTES = 16


class Op(IntEnum):
    CREATE = 1
    JOIN = 2
    SEND = 3
    KICK = 4
    HAND_OVER = 5
    WELCOME = 10
    JOINED = 11
    LEFT = 12
    DELIVERED = 13
    REJECTED = 14


# Client -> relay ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRoom:
    """First message of the room's host: the room must not exist yet.

    A host coming back after a relay restart asks for its old endpoint *id*
    and keeps ids below *floor* for the members coming back after it, so no
    newcomer is given one of theirs; its rejoin *token* becomes the id's
    token again.
    """

    id: int | None = None
    floor: int = 0
    token: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class JoinRoom:
    """First message of anyone else: the room must exist.

    A member coming back asks for its old endpoint *id* and presents the
    rejoin *token* its Welcome gave it; an endpoint still holding the id in
    the room (the member's own dead connection, usually) is then replaced.
    """

    id: int | None = None
    token: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Send:
    to: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Kick:
    """Host only: disconnect endpoint *id* from the room."""

    id: int


@dataclass(frozen=True, slots=True)
class HandOver:
    """Host only: endpoint *id*, a member of the room, is the host from now on."""

    id: int


# Relay -> client ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Welcome:
    id: int
    host: int
    members: tuple[int, ...]
    #: Secret to present when coming back to *id*; kept out of reprs, so out of
    #: logs. Welcomes compare by where they put you: a token is random.
    token: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class MemberJoined:
    id: int


@dataclass(frozen=True, slots=True)
class MemberLeft:
    id: int


@dataclass(frozen=True, slots=True)
class Delivered:
    sender: int
    #: A view into the received message when it came as a bytearray (no copy of 1 MiB).
    payload: bytes | memoryview


@dataclass(frozen=True, slots=True)
class RelayRejected:
    """The relay refused something. *fatal* means it closes the connection next."""

    reason: str
    message: str
    fatal: bool


ClientEnvelope = CreateRoom | JoinRoom | Send | Kick | HandOver
RelayEnvelope = Welcome | MemberJoined | MemberLeft | Delivered | RelayRejected


def encode_envelope(env: ClientEnvelope | RelayEnvelope) -> bytes:
    match env:
        case CreateRoom(None, 0, None):
            return pack([Op.CREATE])
        case CreateRoom(id_, floor, None):
            return pack([Op.CREATE, id_, floor])
        case CreateRoom(int(id_), floor, bytes(token)):
            return pack([Op.CREATE, id_, floor, token])
        case JoinRoom(None, None):
            return pack([Op.JOIN])
        case JoinRoom(id_, None):
            return pack([Op.JOIN, id_])
        case JoinRoom(int(id_), bytes(token)):
            return pack([Op.JOIN, id_, token])
        case Send(to, payload):
            return pack([Op.SEND, to, payload])
        case Kick(id_):
            return pack([Op.KICK, id_])
        case HandOver(id_):
            return pack([Op.HAND_OVER, id_])
        case Welcome(id_, host, members, None):
            return pack([Op.WELCOME, id_, host, list(members)])
        case Welcome(id_, host, members, token):
            return pack([Op.WELCOME, id_, host, list(members), token])
        case MemberJoined(id_):
            return pack([Op.JOINED, id_])
        case MemberLeft(id_):
            return pack([Op.LEFT, id_])
        case Delivered(sender, payload):
            return pack([Op.DELIVERED, sender, payload])
        case RelayRejected(reason, message, fatal):
            return pack([Op.REJECTED, reason, message[:MAX_MESSAGE_CHARS], fatal])
    raise LocalProtocolError(
        f"not an envelope: {env!r} (a rejoin token goes with the endpoint id it is for)"
    )


def encode_send_head(to: int, size: int) -> bytes:
    """The envelope of ``Send(to, payload)`` up to its *size*-byte payload.

    The envelope is these bytes, then the payload: a sealed file chunk goes
    out without being copied into a new document first.
    """
    return pack([Op.SEND, to, b""])[:-2] + bin_head(size)


#: How encode_envelope begins a Delivered: an array of three, then its op.
_DELIVERED_HEAD = bytes((0x93, Op.DELIVERED))


def _delivered_view(data: bytearray, limits: Limits) -> Delivered | None:
    """A Delivered in exactly encode_envelope's layout, its payload a view; else None.

    Anything else goes through the strict general decoder, which says what
    is wrong with it.
    """
    if len(data) > limits.max_envelope_bytes or data[:2] != _DELIVERED_HEAD:
        return None
    view = memoryview(data)
    sender, at = read_uint(view, 2)
    if sender is None or sender > MAX_ENDPOINT_ID:
        return None
    size, at = read_bin_head(view, at)
    if size is None or at + size != len(view):
        return None
    return Delivered(sender, view[at:])


def decode_client_envelope(data: bytes, limits: Limits = DEFAULT_LIMITS) -> ClientEnvelope:
    """Decode what an endpoint sent to the relay; raise ProtocolError if it is not one."""
    op, fields = _split(data, limits)
    match op:
        case Op.CREATE:
            if not fields:
                return CreateRoom()
            _arity(op, fields, 2, 3)
            token = _token(fields[2]) if len(fields) == 3 else None
            return CreateRoom(_endpoint_id(fields[0]), _endpoint_id(fields[1]), token)
        case Op.JOIN:
            if not fields:
                return JoinRoom()
            _arity(op, fields, 1, 2)
            token = _token(fields[1]) if len(fields) == 2 else None
            return JoinRoom(_endpoint_id(fields[0]), token)
        case Op.SEND:
            _arity(op, fields, 2)
            return Send(_endpoint_id(fields[0]), _bytes(fields[1]))
        case Op.KICK:
            _arity(op, fields, 1)
            return Kick(_endpoint_id(fields[0]))
        case Op.HAND_OVER:
            _arity(op, fields, 1)
            return HandOver(_endpoint_id(fields[0]))
    raise ProtocolError(f"a client may not send envelope {op.name}", reason="malformed")


def decode_relay_envelope(
    data: bytes | bytearray, limits: Limits = DEFAULT_LIMITS
) -> RelayEnvelope:
    """Decode what the relay sent to an endpoint; raise ProtocolError if it is not one.

    A Delivered in a bytearray (a large message as the peer's WebSocket
    receives it) keeps its payload in place, as a view.
    """
    if isinstance(data, bytearray) and (delivered := _delivered_view(data, limits)) is not None:
        return delivered
    op, fields = _split(data, limits)
    match op:
        case Op.WELCOME:
            _arity(op, fields, 3, 4)
            members = fields[2]
            if not isinstance(members, list):
                raise ProtocolError("welcome: members must be a list", reason="malformed")
            return Welcome(
                _endpoint_id(fields[0]),
                _endpoint_id(fields[1]),
                tuple(_endpoint_id(m) for m in members),
                _token(fields[3]) if len(fields) == 4 else None,
            )
        case Op.JOINED:
            _arity(op, fields, 1)
            return MemberJoined(_endpoint_id(fields[0]))
        case Op.LEFT:
            _arity(op, fields, 1)
            return MemberLeft(_endpoint_id(fields[0]))
        case Op.DELIVERED:
            _arity(op, fields, 2)
            return Delivered(_endpoint_id(fields[0]), _bytes(fields[1]))
        case Op.REJECTED:
            _arity(op, fields, 3)
            return RelayRejected(
                _text(fields[0], MAX_REASON_CHARS),
                _text(fields[1], MAX_MESSAGE_CHARS),
                _bool(fields[2]),
            )
    raise ProtocolError(f"the relay may not send envelope {op.name}", reason="malformed")


def _split(data: bytes | bytearray, limits: Limits) -> tuple[Op, list[Any]]:
    obj = unpack(data, limits, what="envelope")
    if not isinstance(obj, list) or not obj or type(obj[0]) is not int:
        raise ProtocolError("malformed envelope: not an [op, ...] array", reason="malformed")
    try:
        op = Op(obj[0])
    except ValueError:
        raise ProtocolError(f"unknown envelope op {obj[0]}", reason="malformed") from None
    return op, obj[1:]


def _arity(op: Op, fields: list[Any], n: int, or_n: int | None = None) -> None:
    if len(fields) != n and len(fields) != or_n:
        expected = str(n) if or_n is None else f"{n} or {or_n}"
        raise ProtocolError(
            f"envelope {op.name} has {len(fields)} fields, expected {expected}",
            reason="malformed",
        )


def _endpoint_id(value: Any) -> int:
    return check_id(value)


def _bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise ProtocolError("payload must be bytes", reason="malformed")
    return value


def _token(value: Any) -> bytes:
    if not isinstance(value, bytes) or len(value) != REJOIN_TOKEN_BYTES:
        raise ProtocolError(
            f"a rejoin token must be {REJOIN_TOKEN_BYTES} bytes", reason="malformed"
        )
    return value


def _text(value: Any, max_chars: int) -> str:
    # The relay is untrusted and its words reach the person's screen: no escapes.
    return check_text(value, "envelope text", max_chars=max_chars, multiline=False)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError("bad flag in envelope", reason="malformed")
    return value
