"""The join handshake: SPAKE2 over the whole session code, then key confirmation.

Theory of operation
-------------------
The joiner (side A) and the host (side B, the controlling rep) each run
SPAKE2 with the session code as the password. The joiner speaks first::

    joiner                               host
    PAKE(label, msg_A)       ───────▶
                             ◀───────    PAKE_REPLY(msg_B, confirm_B)
    CONFIRM(confirm_A)       ───────▶

The label (one byte, the code's public slot label) tells the host which of
its live codes to run SPAKE2 with (see :mod:`codec._admission`); it is bound
into the password, so a joiner cannot claim one slot and prove another.
Both derive the same 32-byte key only if both typed the same code. Each
proves it holds the key with a confirmation value derived from it; the
joiner checks the host's before saying anything sealed, the host checks the
joiner's before admitting it. A wrong code therefore fails on both sides,
and an attacker learns whether *one* guessed code was right per reply:
the host spends a unit of its failure budget on every reply before sending
it (see :mod:`codec._admission`). A host with no budget to spare answers
``NOT_ADMITTING`` instead, which carries no confirmation. From the key come one channel key per
direction; the confirmation keys are separate so no key serves two purposes.

States and the payload each accepts are in one table per side; anything
the table does not list is a protocol error and the handshake is dead.
"""

from __future__ import annotations

import hmac
from enum import Enum
from typing import TYPE_CHECKING

from codec._errors import LocalProtocolError, NotAdmittedError, ProtocolError, WrongCodeError
from codec._keys import KEY_BYTES, ChannelKeys, derive
from codec._payload import PayloadKind, payload_kind

if TYPE_CHECKING:
    import spake2

    from codec._code import SessionCode

# HostHandshake, HostState and JoinerState are codec-internal (Admission wraps the host side).
__all__ = ["WRONG_CODE_TEXT", "JoinerHandshake", "abort_payload", "pake_label"]

_ID_JOINER = b"helpline-joiner"
_ID_HOST = b"helpline-host"
_SPAKE_MSG_BYTES = 33


class JoinerState(Enum):
    READY = "ready"
    AWAITING_REPLY = "awaiting reply"
    ESTABLISHED = "established"
    FAILED = "failed"


class HostState(Enum):
    AWAITING_PAKE = "awaiting pake"
    AWAITING_CONFIRM = "awaiting confirmation"
    ESTABLISHED = "established"
    FAILED = "failed"


_JOINER_ACCEPTS = {
    JoinerState.AWAITING_REPLY: {PayloadKind.PAKE_REPLY, PayloadKind.NOT_ADMITTING},
}
_NOT_ADMITTING_TEXT = {
    1: "the rep's side is busy with other join attempts; wait a minute and join again",
    2: "the rep's side has paused joining after too many failed attempts; "
    "ask the rep to reopen it (/reopen) and read you the new code",
    3: "the session already has as many customers as the rep's site policy allows; ask the rep",
    4: "that code is not one of this session's: check it with the rep",
    5: "that invitation's code was used already (an invitation admits one person); "
    "ask the rep for a new invitation",
    6: "that invitation has expired; ask the rep for a new invitation",
    7: "that invitation's code was withdrawn after too many failed attempts; "
    "ask the rep for a new invitation",
    8: "the rep withdrew that invitation; ask the rep for a new one if you still need help",
}
#: What the joiner is told when the host's confirmation does not match. A
#: tampered reply and a wrong code look the same from here, so say both.
WRONG_CODE_TEXT = (
    "wrong code, or someone interfered with the connection: check the code "
    "with the rep and join again"
)
_HOST_ACCEPTS = {
    HostState.AWAITING_PAKE: {PayloadKind.PAKE},
    HostState.AWAITING_CONFIRM: {PayloadKind.CONFIRM, PayloadKind.ABORT},
}


def abort_payload() -> bytes:
    """What a joiner sends when the host's confirmation did not match."""
    return bytes([PayloadKind.ABORT])


class _Schedule:
    """The keys one SPAKE2 key yields, by purpose."""

    def __init__(self, key: bytes) -> None:
        self.confirm_host = derive(key, b"hl-confirm-host")
        self.confirm_joiner = derive(key, b"hl-confirm-join")
        self.host_to_joiner = derive(key, b"hl-key-h2j")
        self.joiner_to_host = derive(key, b"hl-key-j2h")


def _finish(side: spake2.SPAKE2_A | spake2.SPAKE2_B, message: bytes, expect_side: bytes) -> bytes:
    if len(message) != _SPAKE_MSG_BYTES or message[:1] != expect_side:
        raise ProtocolError("malformed SPAKE2 message", reason="malformed")
    try:
        key: bytes = side.finish(message)
    # spake2 raises ValueError, SPAKEError or its own NotOnCurve for a bad point;
    # all mean the same to us, and none may escape as anything but a protocol error.
    except Exception:
        raise ProtocolError("invalid SPAKE2 message", reason="malformed") from None
    return key


def pake_label(payload: bytes) -> int:
    """The slot label a joiner's PAKE payload names, or :class:`ProtocolError`."""
    if len(payload) < 2 or payload[0] != PayloadKind.PAKE or payload[1] > 9:
        raise ProtocolError(
            "a join attempt must start with a PAKE naming a code", reason="malformed"
        )
    return payload[1]


class JoinerHandshake:
    def __init__(self, code: SessionCode) -> None:
        import spake2  # on first use: its 7 MB of imports are no business of the relay's

        self._spake = spake2.SPAKE2_A(code.password, idA=_ID_JOINER, idB=_ID_HOST)
        self._label = code.label
        self.state = JoinerState.READY
        self._keys: ChannelKeys | None = None

    def start(self) -> bytes:
        if self.state is not JoinerState.READY:
            raise LocalProtocolError("the handshake was already started")
        self.state = JoinerState.AWAITING_REPLY
        message: bytes = self._spake.start()
        return bytes([PayloadKind.PAKE, self._label]) + message

    def receive(self, payload: bytes) -> bytes:
        """Take the host's reply; return the confirmation to send back.

        Raises WrongCodeError when the host holds another code; send
        :func:`abort_payload` to the host then, so it counts the attempt.
        """
        try:
            kind = payload_kind(payload)
        except ProtocolError:
            self.state = JoinerState.FAILED
            raise
        if kind not in _JOINER_ACCEPTS.get(self.state, ()):
            state = self.state
            self.state = JoinerState.FAILED
            raise ProtocolError(f"unexpected {kind.name} while {state.value}")
        body = payload[1:]
        if kind is PayloadKind.NOT_ADMITTING:
            self.state = JoinerState.FAILED
            text = _NOT_ADMITTING_TEXT.get(body[0] if len(body) == 1 else 0)
            raise NotAdmittedError(text or "the rep's side did not let us in; ask the rep")
        self.state = JoinerState.FAILED  # until proven otherwise
        # A reply cut, padded or altered on the way fails exactly like a wrong
        # code: from here the two cannot be told apart, so neither is named alone.
        if len(body) != _SPAKE_MSG_BYTES + KEY_BYTES:
            raise WrongCodeError(WRONG_CODE_TEXT)
        try:
            schedule = _Schedule(_finish(self._spake, body[:_SPAKE_MSG_BYTES], b"B"))
        except ProtocolError:
            raise WrongCodeError(WRONG_CODE_TEXT) from None
        if not hmac.compare_digest(body[_SPAKE_MSG_BYTES:], schedule.confirm_host):
            raise WrongCodeError(WRONG_CODE_TEXT)
        self.state = JoinerState.ESTABLISHED
        self._keys = ChannelKeys(send=schedule.joiner_to_host, receive=schedule.host_to_joiner)
        return bytes([PayloadKind.CONFIRM]) + schedule.confirm_joiner

    @property
    def keys(self) -> ChannelKeys:
        if self._keys is None:
            raise LocalProtocolError("the handshake is not established")
        return self._keys


class HostHandshake:
    """The host's side of one joiner's attempt; *deadline* is when it gives up."""

    def __init__(self, password: bytes, deadline: float) -> None:
        import spake2

        self._spake = spake2.SPAKE2_B(password, idA=_ID_JOINER, idB=_ID_HOST)
        # Our SPAKE2 message does not depend on the joiner's, so make it now.
        self._outbound: bytes = self._spake.start()
        self.state = HostState.AWAITING_PAKE
        self.deadline = deadline
        self._schedule: _Schedule | None = None

    def receive(self, payload: bytes) -> bytes | None:
        """Take one handshake payload; return the reply to send, if any.

        Raises WrongCodeError when the joiner proves a different code, and
        ProtocolError for anything out of turn or malformed.
        """
        try:
            kind = payload_kind(payload)
        except ProtocolError:
            self.state = HostState.FAILED
            raise
        if kind not in _HOST_ACCEPTS.get(self.state, ()):
            state = self.state
            self.state = HostState.FAILED
            raise ProtocolError(f"unexpected {kind.name} while {state.value}")
        if kind is PayloadKind.PAKE:
            self.state = HostState.FAILED  # until the reply is built
            self._schedule = _Schedule(_finish(self._spake, payload[2:], b"A"))
            self.state = HostState.AWAITING_CONFIRM
            return bytes([PayloadKind.PAKE_REPLY]) + self._outbound + self._schedule.confirm_host
        self.state = HostState.FAILED
        assert self._schedule is not None
        if kind is PayloadKind.ABORT or not hmac.compare_digest(
            payload[1:], self._schedule.confirm_joiner
        ):
            raise WrongCodeError("someone tried a wrong session code")
        self.state = HostState.ESTABLISHED
        return None

    @property
    def keys(self) -> ChannelKeys:
        if self.state is not HostState.ESTABLISHED or self._schedule is None:
            raise LocalProtocolError("the handshake is not established")
        return ChannelKeys(
            send=self._schedule.host_to_joiner, receive=self._schedule.joiner_to_host
        )
