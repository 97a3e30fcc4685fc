"""Application messages: what travels inside an encrypted channel.

Each message is a msgpack map with a type tag ``t``. Decoding is strict:
unknown types, missing or extra fields, wrong types and sizes beyond
:class:`~codec.Limits` all raise :class:`~codec.ProtocolError`, so the
session code only ever sees well-formed dataclasses. Names, chat text and
ids follow the one rule in :mod:`codec._validate`, so a hostile peer can
neither repaint the other person's terminal nor take a name that poses as
another role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from codec._code import is_room_number
from codec._errors import ProtocolError
from codec._file_messages import (
    FILE_DECODERS,
    FileChunk,
    FileMessage,
    decode_file_chunk,
    encode_file_message,
    file_chunk_prefix,
)
from codec._keys import SESSION_ID_BYTES
from codec._limits import DEFAULT_LIMITS, Limits
from codec._share_messages import SHARE_DECODERS, ShareMessage, encode_share_message
from codec._sysinfo_messages import SYSINFO_DECODERS, SysinfoMessage, encode_sysinfo_message
from codec._validate import check_id, check_name, check_text
from codec._wire import pack, unpack

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "Chat",
    "ControlGrant",
    "ControlMoved",
    "Departure",
    "Hello",
    "KeepAlive",
    "Leave",
    "Member",
    "Message",
    "Role",
    "Roster",
    "SessionEnd",
    "decode_message",
    "encode_message",
    "encode_message_parts",
]

PUBLIC_KEY_BYTES = 32
#: A session type's or tracking code's length, with room to spare (the policy's are shorter).
_MAX_KIND_CHARS = 64
_MAX_REASON_CHARS = 200


class Role(Enum):
    REP = "rep"  # the controlling rep: hosts the session
    ASSISTANT = "assistant"
    CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    role: Role
    public_key: bytes


@dataclass(frozen=True, slots=True)
class Hello:
    """A joiner's first sealed message to the host: who it is."""

    name: str
    public_key: bytes
    #: Asks to join as an assistant (a rep); only a code issued for one admits it.
    assist: bool = False


class Departure(Enum):
    """How a member went, as the host tells everyone who stays."""

    LEFT = "left"  # it said goodbye
    LOST = "lost"  # its connection dropped and it did not come back in time
    REMOVED = "removed"  # the controlling rep removed it


@dataclass(frozen=True, slots=True)
class Roster:
    """Host → everyone: who is in the session. Accepted only from the host.

    *session* is the host's random session id, mixed into every
    member-to-member key so no key is shared with another session.
    """

    members: tuple[Member, ...]
    session: bytes
    #: The primary customer's id (SPEC M1), whose screen activities are about.
    primary: int | None = None
    #: Who went since the last roster, and how, so the others are told the truth.
    gone: tuple[tuple[int, Departure], ...] = ()
    #: The room the session moves to should the relay name a stranger this
    #: room's host (after a restart someone else re-created it): drawn by the
    #: host, told only end to end, so the stranger cannot follow.
    standby: str | None = None


@dataclass(frozen=True, slots=True)
class Chat:
    """*to* lists the recipients' ids of a private message; empty means everyone."""

    text: str
    to: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """Host → everyone: the controlling rep ended the session."""

    by: str


@dataclass(frozen=True, slots=True)
class ControlMoved:
    """Controlling rep → each member but the new one: *to* controls the session now (SPEC M5).

    Believed only from the current controlling rep, over its own channel.
    """

    to: int


@dataclass(frozen=True, slots=True)
class ControlGrant:
    """Controlling rep → the assistant taking over: what it needs to run the door.

    *session_failures* carries the session's spent failure budget over, so
    a transfer never buys an attacker more guesses. No secret travels: the
    new rep draws its own, so the former rep cannot answer the next joiner.
    """

    session_failures: int
    #: The session's type and tracking code as its first rep started it, for the new rep's record.
    session_type: str | None = None
    tracking: str | None = None


@dataclass(frozen=True, slots=True)
class Leave:
    """Member → everyone it has a channel with: leaving on purpose."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """Host ↔ member, sealed: still here. Silence past a deadline ends the channel."""


Message = (
    Hello
    | Roster
    | Chat
    | SessionEnd
    | ControlMoved
    | ControlGrant
    | Leave
    | KeepAlive
    | ShareMessage
    | FileMessage
    | SysinfoMessage
)


def encode_message(msg: Message) -> bytes:
    match msg:
        case Hello(name, key, assist):
            return pack({"t": "hello", "name": name, "key": key, "assist": assist})
        case Roster(members, session, primary, gone, standby):
            fields: dict[str, Any] = {
                "t": "roster",
                "session": session,
                "primary": primary,
                "members": [
                    {"id": m.id, "name": m.name, "role": m.role.value, "key": m.public_key}
                    for m in members
                ],
                "gone": [[mid, how.value] for mid, how in gone],
            }
            if standby is not None:
                fields["standby"] = standby
            return pack(fields)
        case Chat(text, to):
            return pack({"t": "chat", "text": text, "to": list(to)})
        case SessionEnd(by):
            return pack({"t": "end", "by": by})
        case ControlMoved(to):
            return pack({"t": "control", "to": to})
        case ControlGrant(failures, session_type, tracking):
            grant = {"t": "grant", "failures": failures}
            kind = {"type": session_type, "tracking": tracking}
            return pack(grant | {k: v for k, v in kind.items() if v is not None})
        case Leave(reason):
            return pack({"t": "leave", "reason": reason})
        case KeepAlive():
            return pack({"t": "alive"})
    if isinstance(msg, FileMessage):
        return pack(encode_file_message(msg))
    if isinstance(msg, SysinfoMessage):
        return pack(encode_sysinfo_message(msg))
    return encode_share_message(msg)


def encode_message_parts(msg: Message) -> tuple[bytes | memoryview, ...]:
    """:func:`encode_message` in pieces that join to the same bytes.

    A file chunk's data is not copied into a new document: the pieces are the
    msgpack before it and the data itself, and sealing writes both once.
    """
    if isinstance(msg, FileChunk):
        return (file_chunk_prefix(msg), msg.data)
    return (encode_message(msg),)


def decode_message(
    data: bytes | bytearray | memoryview, limits: Limits = DEFAULT_LIMITS
) -> Message:
    chunk = decode_file_chunk(data, limits)  # the hot path: its data is a view, not a copy
    if chunk is not None:
        return chunk
    obj = unpack(data, limits, what="message", max_bytes=limits.max_message_bytes)
    if not isinstance(obj, dict) or not isinstance(obj.get("t"), str):
        raise ProtocolError("malformed message: not a map with a type", reason="malformed")
    decoder = _DECODERS.get(obj["t"])
    if decoder is None:
        raise ProtocolError(f"unknown message type {obj['t'][:32]!r}", reason="malformed")
    return decoder(_Fields(obj, limits))


class _Fields:
    """Typed access to a message's fields; every miss is a ProtocolError."""

    def __init__(self, obj: dict[str, Any], limits: Limits) -> None:
        self.obj = obj
        self.limits = limits
        self.type = obj["t"]

    def expect(self, *names: str, optional: tuple[str, ...] = ()) -> None:
        if not {"t", *names} <= set(self.obj) <= {"t", *names, *optional}:
            raise ProtocolError(
                f"{self.type}: wrong fields {sorted(self.obj, key=str)}", reason="malformed"
            )

    def text(self, value: Any, what: str, max_chars: int, *, multiline: bool) -> str:
        return check_text(value, f"{self.type} {what}", max_chars=max_chars, multiline=multiline)

    def name(self, value: Any) -> str:
        return check_name(value, f"{self.type} name", max_chars=self.limits.max_name_chars)

    def key(self, value: Any) -> bytes:
        if not isinstance(value, bytes) or len(value) != PUBLIC_KEY_BYTES:
            raise ProtocolError(f"{self.type}: bad public key", reason="malformed")
        return value

    def ids(self, value: Any) -> tuple[int, ...]:
        if not isinstance(value, list) or len(value) > self.limits.max_members:
            raise ProtocolError(f"{self.type}: bad id list", reason="malformed")
        return tuple(self.id(v) for v in value)

    def id(self, value: Any) -> int:
        return check_id(value, f"{self.type} member id")


def _hello(f: _Fields) -> Hello:
    f.expect("name", "key", optional=("assist",))
    assist = f.obj.get("assist", False)
    if type(assist) is not bool:
        raise ProtocolError("hello: assist must be true or false", reason="malformed")
    return Hello(f.name(f.obj["name"]), f.key(f.obj["key"]), assist)


def _roster(f: _Fields) -> Roster:
    f.expect("members", "session", optional=("primary", "gone", "standby"))
    primary = None if f.obj.get("primary") is None else f.id(f.obj["primary"])
    standby = f.obj.get("standby")
    if standby is not None and not is_room_number(standby):
        raise ProtocolError("roster: the standby room is not a room number", reason="malformed")
    session = f.obj["session"]
    if not isinstance(session, bytes) or len(session) != SESSION_ID_BYTES:
        raise ProtocolError("roster: bad session id", reason="malformed")
    raw = f.obj["members"]
    if not isinstance(raw, list) or len(raw) > f.limits.max_members:
        raise ProtocolError("roster: bad member list", reason="malformed")
    members = []
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) != {"id", "name", "role", "key"}:
            raise ProtocolError("roster: bad member entry", reason="malformed")
        try:
            role = Role(entry["role"])
        except ValueError:
            raise ProtocolError("roster: unknown role", reason="malformed") from None
        members.append(Member(f.id(entry["id"]), f.name(entry["name"]), role, f.key(entry["key"])))
    if len({m.id for m in members}) != len(members):
        raise ProtocolError("roster: duplicate member id", reason="malformed")
    return Roster(tuple(members), session, primary, _gone(f), standby)


def _gone(f: _Fields) -> tuple[tuple[int, Departure], ...]:
    raw = f.obj.get("gone", [])
    if not isinstance(raw, list) or len(raw) > f.limits.max_members:
        raise ProtocolError("roster: bad list of who went", reason="malformed")
    gone = []
    for entry in raw:
        if not isinstance(entry, list) or len(entry) != 2:
            raise ProtocolError("roster: bad entry of who went", reason="malformed")
        try:
            how = Departure(entry[1])
        except (ValueError, TypeError):
            raise ProtocolError("roster: unknown way of going", reason="malformed") from None
        gone.append((f.id(entry[0]), how))
    return tuple(gone)


def _chat(f: _Fields) -> Chat:
    f.expect("text", "to")
    text = f.text(f.obj["text"], "text", f.limits.max_chat_chars, multiline=True)
    return Chat(text, f.ids(f.obj["to"]))


def _alive(f: _Fields) -> KeepAlive:
    f.expect()
    return KeepAlive()


def _end(f: _Fields) -> SessionEnd:
    f.expect("by")
    return SessionEnd(f.name(f.obj["by"]))


def _control(f: _Fields) -> ControlMoved:
    f.expect("to")
    return ControlMoved(f.id(f.obj["to"]))


def _grant(f: _Fields) -> ControlGrant:
    f.expect("failures", optional=("type", "tracking"))
    failures = f.obj["failures"]
    if type(failures) is not int or not 0 <= failures <= 1_000:
        raise ProtocolError("grant: bad failure count", reason="malformed")
    kind = [
        None
        if f.obj.get(key) is None
        else f.text(f.obj[key], key, _MAX_KIND_CHARS, multiline=False)
        for key in ("type", "tracking")
    ]
    return ControlGrant(failures, *kind)


def _leave(f: _Fields) -> Leave:
    f.expect("reason")
    return Leave(f.text(f.obj["reason"], "reason", _MAX_REASON_CHARS, multiline=False))


_DECODERS: dict[str, Callable[[_Fields], Message]] = {
    "hello": _hello,
    "roster": _roster,
    "chat": _chat,
    "end": _end,
    "control": _control,
    "grant": _grant,
    "leave": _leave,
    "alive": _alive,
    **SHARE_DECODERS,
    **FILE_DECODERS,
    **SYSINFO_DECODERS,
}
