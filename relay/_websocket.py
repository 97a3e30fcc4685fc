"""The server side of WebSocket framing (RFC 6455), sans-IO, for the relay alone.

Theory of operation
-------------------
:class:`FrameParser` takes the bytes a client sent (:meth:`~FrameParser.receive_data`)
and returns what they meant: whole binary or text messages, pings, pongs, the
client's close, or a :class:`Violation` carrying the close code the relay
must answer with. Every rule of the RFC that a client can break maps to a
code here (1002 protocol error, 1007 bad UTF-8, 1008 policy, 1009 too big),
so a broken or hostile client always gets a close frame saying why.
After a violation or a close the parser ignores everything else.

Why not wsproto under trio-websocket, as the peer uses: profiling the relay
showed wsproto's pure-Python unmasking at 38 % of bulk forwarding time and
per-message framing through three layers most of the small-message time;
trio-websocket also sends no close frame for several violations and its
reader task races the relay's own lingering read. Here payload bytes are
unmasked straight out of the read buffer into the message by the
``websockets`` library's C ``apply_mask`` (a frame split over reads is
gathered first, then unmasked once); a message is refused (1009) as soon as
a frame header announces that it would be too large, before its payload is
read.

Frames the relay sends are built by :func:`frame_header` and friends; the
handshake lives with the rest of the HTTP in ``relay._http``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from websockets.speedups import apply_mask

__all__ = [
    "MAX_FRAGMENTS",
    "BinaryMessage",
    "ClientClosed",
    "CloseCode",
    "FrameParser",
    "Opcode",
    "Ping",
    "Pong",
    "TextMessage",
    "Violation",
    "WebSocketEvent",
    "close_frame",
    "frame_header",
    "ping_frame",
    "pong_frame",
]

#: Frames one message may be split into. Browsers and every common client
#: send a message in one frame; a stream of empty continuation frames would
#: otherwise cost a parse each for no data.
MAX_FRAGMENTS = 64

MAX_CONTROL_PAYLOAD = 125

#: The first byte of a final binary frame, the relay's usual traffic.
_FINAL_BINARY = 0x82


class Opcode(IntEnum):
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class CloseCode(IntEnum):
    """Close codes the relay sends (RFC 6455, section 7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make, once per message
class BinaryMessage:
    data: bytes | bytearray


@dataclass(frozen=True, slots=True)
class TextMessage:
    """A well-formed text message; the relay refuses these (it routes bytes)."""


@dataclass(frozen=True, slots=True)
class Ping:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Pong:
    payload: bytes


@dataclass(frozen=True, slots=True)
class ClientClosed:
    """The client's close frame; ``code`` is None when it carried none."""

    code: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class Violation:
    """The client broke the protocol; close with *code* and stop reading."""

    code: int
    reason: str


WebSocketEvent = BinaryMessage | TextMessage | Ping | Pong | ClientClosed | Violation


def _valid_close_code(code: int) -> bool:
    # 1004-1006 and 1015 are reserved for local use; 1016-2999 unassigned.
    return (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999


class FrameParser:
    """Client-to-server frames in, :data:`Event` objects out."""

    __slots__ = (
        "_done",
        "_fragments",
        "_frame_fin",
        "_frame_start",
        "_mask",
        "_max_message",
        "_message",
        "_message_opcode",
        "_need",
        "_pending",
    )

    def __init__(self, max_message_bytes: int) -> None:
        self._max_message = max_message_bytes
        self._pending = b""  # an incomplete header or control frame (< 140 bytes)
        self._message = bytearray()
        self._message_opcode: Opcode | None = None
        self._fragments = 0
        self._frame_start = 0
        self._frame_fin = False
        self._need = 0  # payload bytes of the current data frame still to come
        self._mask = b""
        self._done = False

    @property
    def done(self) -> bool:
        """True after a close or a violation: nothing more will be parsed."""
        return self._done

    @property
    def buffered_bytes(self) -> int:
        """Bytes of an unfinished message held here."""
        return len(self._message)

    def discard(self) -> None:
        """Forget any unfinished message and parse nothing more."""
        self._done = True
        self._message = bytearray()
        self._pending = b""

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[WebSocketEvent]:
        events: list[WebSocketEvent] = []
        if self._done:
            return events
        if self._pending:
            data = self._pending + bytes(data)
            self._pending = b""
        view = memoryview(data)
        n = len(view)
        pos = 0
        while pos < n and not self._done:
            if self._need:
                take = min(self._need, n - pos)
                self._message += view[pos : pos + take]
                pos += take
                self._need -= take
                if not self._need:
                    self._end_data_frame(events)
                continue
            if self._message_opcode is None and n - pos >= 6 and view[pos] == _FINAL_BINARY:
                # The usual frame, a whole message with a 7- or 16-bit length,
                # all in this read: cut out here, without the general parse.
                b1 = view[pos + 1]
                length = b1 & 0x7F
                start = pos + 6 if length < 126 else pos + 8
                if length == 126:
                    length = (view[pos + 2] << 8) | view[pos + 3]
                end = start + length
                if b1 & 0x80 and b1 != 0xFF and end <= n and length <= self._max_message:
                    data = apply_mask(view[start:end], bytes(view[start - 4 : start]))
                    events.append(BinaryMessage(data))
                    pos = end
                    continue
            used = self._frame(view, pos, events)
            if not used:
                self._pending = bytes(view[pos:])
                break
            pos += used
        return events

    def _frame(self, view: memoryview, pos: int, events: list[WebSocketEvent]) -> int:
        """Parse one frame header at *pos* (and a control frame's payload).

        Returns the bytes used, 0 if more must arrive first.
        """
        available = len(view) - pos
        if available < 2:
            return 0
        b0, b1 = view[pos], view[pos + 1]
        try:
            opcode = Opcode(b0 & 0x0F)
        except ValueError:
            return self._violate(events, CloseCode.PROTOCOL_ERROR, f"unknown opcode {b0 & 0x0F}")
        if b0 & 0x70:
            return self._violate(events, CloseCode.PROTOCOL_ERROR, "reserved bits set")
        if not b1 & 0x80:
            return self._violate(events, CloseCode.PROTOCOL_ERROR, "client frames must be masked")
        fin = bool(b0 & 0x80)
        length = b1 & 0x7F
        header = 6 if length < 126 else 8 if length == 126 else 14
        if available < header:
            return 0
        if length == 126:
            length = int.from_bytes(view[pos + 2 : pos + 4], "big")
        elif length == 127:
            length = int.from_bytes(view[pos + 2 : pos + 10], "big")
        if length >> 63:
            return self._violate(events, CloseCode.PROTOCOL_ERROR, "bad frame length")
        mask = bytes(view[pos + header - 4 : pos + header])
        if opcode >= Opcode.CLOSE:
            if not fin or length > MAX_CONTROL_PAYLOAD:
                return self._violate(
                    events, CloseCode.PROTOCOL_ERROR, "control frames are short and unfragmented"
                )
            if available < header + length:
                return 0
            payload = apply_mask(view[pos + header : pos + header + length], mask)
            self._control(opcode, payload, events)
            return header + length
        if (opcode is Opcode.CONTINUATION) != (self._message_opcode is not None):
            what = "continuation with no message" if self._message_opcode is None else "new"
            return self._violate(events, CloseCode.PROTOCOL_ERROR, f"{what} frame mid-message")
        if len(self._message) + length > self._max_message:
            return self._violate(
                events,
                CloseCode.MESSAGE_TOO_BIG,
                f"message over the {self._max_message}-byte limit",
            )
        self._fragments += 1
        if self._fragments > MAX_FRAGMENTS:
            return self._violate(
                events, CloseCode.POLICY_VIOLATION, f"message in over {MAX_FRAGMENTS} frames"
            )
        if fin and opcode is Opcode.BINARY and available >= header + length:
            # A whole message in this read (the usual case): one pass, no buffer.
            start = pos + header
            events.append(BinaryMessage(apply_mask(view[start : start + length], mask)))
            self._fragments = 0
            return header + length
        if self._message_opcode is None:
            self._message_opcode = opcode
        self._frame_fin = fin
        self._frame_start = len(self._message)
        self._mask = mask
        self._need = length
        if not length:
            self._end_data_frame(events)
        return header

    def _end_data_frame(self, events: list[WebSocketEvent]) -> None:
        if self._frame_fin and not self._frame_start and self._message_opcode is Opcode.BINARY:
            # A message in one frame that came over several reads: unmasked
            # in one pass into the message that leaves.
            events.append(BinaryMessage(apply_mask(self._message, self._mask)))
            self._message = bytearray()
            self._message_opcode = None
            self._fragments = 0
            return
        _unmask_tail(self._message, self._frame_start, self._mask)
        if not self._frame_fin:
            return
        message, opcode = self._message, self._message_opcode
        self._message = bytearray()
        self._message_opcode = None
        self._fragments = 0
        if opcode is Opcode.BINARY:
            events.append(BinaryMessage(message))
            return
        try:
            message.decode("utf-8")
        except UnicodeDecodeError:
            self._violate(events, CloseCode.INVALID_DATA, "text message is not UTF-8")
            return
        events.append(TextMessage())

    def _control(self, opcode: Opcode, payload: bytes, events: list[WebSocketEvent]) -> None:
        if opcode is Opcode.PING:
            events.append(Ping(payload))
        elif opcode is Opcode.PONG:
            events.append(Pong(payload))
        else:
            self._close(payload, events)

    def _close(self, payload: bytes, events: list[WebSocketEvent]) -> None:
        if not payload:
            self._done = True
            events.append(ClientClosed(None, ""))
            return
        code = int.from_bytes(payload[:2], "big")
        if len(payload) < 2 or not _valid_close_code(code):
            self._violate(events, CloseCode.PROTOCOL_ERROR, "bad close code")
            return
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            self._violate(events, CloseCode.INVALID_DATA, "close reason is not UTF-8")
            return
        self._done = True
        events.append(ClientClosed(code, reason))

    def _violate(self, events: list[WebSocketEvent], code: int, reason: str) -> int:
        self._done = True
        self._message = bytearray()
        events.append(Violation(code, reason))
        return 1  # anything non-zero: the caller stops at ``done``


def _unmask_tail(buffer: bytearray, start: int, mask: bytes) -> None:
    """Unmask ``buffer[start:]`` in place (the mask's phase starts at *start*)."""
    if start < len(buffer):
        with memoryview(buffer) as view:
            unmasked = apply_mask(view[start:], mask)
        buffer[start:] = unmasked


def frame_header(opcode: int, length: int) -> bytes:
    """The header of one unmasked, final server frame of *length* payload bytes."""
    first = 0x80 | opcode
    if length < 126:
        return bytes((first, length))
    if length < 0x10000:
        return bytes((first, 126)) + length.to_bytes(2, "big")
    return bytes((first, 127)) + length.to_bytes(8, "big")


def close_frame(code: int, reason: str = "") -> bytes:
    payload = code.to_bytes(2, "big") + reason.encode()[: MAX_CONTROL_PAYLOAD - 2]
    return frame_header(Opcode.CLOSE, len(payload)) + payload


def ping_frame(payload: bytes) -> bytes:
    return frame_header(Opcode.PING, len(payload)) + payload


def pong_frame(payload: bytes) -> bytes:
    return frame_header(Opcode.PONG, len(payload)) + payload
