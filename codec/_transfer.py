"""One file transfer as a state machine both ends run in step.

Theory of operation. The sender offers a file (name, size); the receiver
accepts, saying how many bytes it already holds from an earlier attempt
and their sha256 (*resume*), and how many bytes it lets the sender have in
flight (the *window*); or it refuses. The sender checks that prefix against
its own file and starts at the receiver's offset, or at 0 when they differ.
Chunks follow strictly in order; the receiver acknowledges what it has
written, and the sender never has more than the window sent and
unacknowledged, so a slow receiver slows the sender and no buffer grows
with the file. After the last byte the sender sends the digest of the whole
content; the receiver compares it with its own and answers complete or
cancels. Either side may cancel at any time.

Both ends track the same :class:`TransferState`. Every message, sent or
received, is looked up in :data:`TRANSFER_TRANSITIONS` under the party that wrote
it; anything the table does not list raises :class:`ProtocolError` when the
other side sent it, :class:`LocalProtocolError` when we tried it. Messages
that cross a cancel in flight (a chunk after we cancelled) are expected and
dropped: :meth:`Transfer.receive` returns ``None`` for them.
"""

from __future__ import annotations

from enum import Enum

from codec._errors import LocalProtocolError, ProtocolError
from codec._file_messages import (
    DIGEST_BYTES,
    FileAccept,
    FileAck,
    FileCancel,
    FileChunk,
    FileComplete,
    FileDone,
    FileOffer,
    FileRefuse,
    FileStart,
    TransferMessage,
)
from codec._limits import DEFAULT_LIMITS, Limits, MiB

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_WINDOW_BYTES",
    "TRANSFER_TRANSITIONS",
    "Transfer",
    "TransferParty",
    "TransferState",
]

#: The largest chunk a sender makes. Each message costs the peers and the relay a
#: fixed amount of Python work (the session's lock and steps, the envelope, the
#: WebSocket frame, a thread hand-off for disk and digest), so larger chunks move
#: a file on less CPU: 3 MiB rather than 1 MiB took a seventh off a transfer's CPU.
#: A sender sizes its chunks to the rate its receiver acknowledges (see
#: peer/_file_pipeline.py), so a slow link gets small chunks and chat is not held
#: up behind one. (The peer keeps such buffers in the C heap, see peer/_malloc.py:
#: fresh mappings per chunk made the cipher three times slower.)
DEFAULT_CHUNK_BYTES = 3 * MiB
#: Enough to keep a loopback or LAN path busy through a loaded machine's scheduling
#: delays with a few of the largest chunks in flight.
DEFAULT_WINDOW_BYTES = 16 * MiB
#: The receiver acknowledges each time this share of its window has been written.
ACK_FRACTION = 4


class TransferParty(Enum):
    SENDER = "sender"
    RECEIVER = "receiver"


class TransferState(Enum):
    AWAITING_ANSWER = "awaiting answer"  # offered; the receiver has not said yes or no
    AWAITING_START = "awaiting start"  # accepted; the sender has not said where it starts
    MOVING = "moving"  # chunks and acknowledgements flow
    VERIFYING = "verifying"  # every byte and the digest sent; the receiver checks
    COMPLETE = "complete"
    REFUSED = "refused"
    CANCELLED = "cancelled"


S, R = TransferParty.SENDER, TransferParty.RECEIVER
_Key = tuple[TransferParty, type[TransferMessage]]
_CANCELS: dict[_Key, TransferState] = {
    (S, FileCancel): TransferState.CANCELLED,
    (R, FileCancel): TransferState.CANCELLED,
}

TRANSFER_TRANSITIONS: dict[TransferState, dict[_Key, TransferState]] = {
    TransferState.AWAITING_ANSWER: {
        (R, FileAccept): TransferState.AWAITING_START,
        (R, FileRefuse): TransferState.REFUSED,
        **_CANCELS,
    },
    TransferState.AWAITING_START: {(S, FileStart): TransferState.MOVING, **_CANCELS},
    TransferState.MOVING: {
        (S, FileChunk): TransferState.MOVING,
        (R, FileAck): TransferState.MOVING,
        (S, FileDone): TransferState.VERIFYING,
        **_CANCELS,
    },
    TransferState.VERIFYING: {
        (R, FileAck): TransferState.VERIFYING,
        (R, FileComplete): TransferState.COMPLETE,
        **_CANCELS,
    },
    TransferState.COMPLETE: {},
    TransferState.REFUSED: {},
    TransferState.CANCELLED: {},
}

#: End states; a message from the other side that crossed ours in flight is dropped.
FINAL = frozenset({TransferState.COMPLETE, TransferState.REFUSED, TransferState.CANCELLED})


class Transfer:
    """One end of transfer *tid*: :meth:`offer` for the sender, :meth:`offered` for the receiver."""

    def __init__(
        self, party: TransferParty, offer: FileOffer, *, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.party = party
        self.offer = offer
        self.state = TransferState.AWAITING_ANSWER
        self._limits = limits
        self.window = 0
        #: Bytes sent (sender) or received (receiver) so far: the next chunk's offset.
        self.position = 0
        #: Bytes the receiver has acknowledged as written.
        self.acked = 0
        #: Where the accepted resume would start, and from where the data really started.
        self.resume_offset = 0
        self.resume_prefix = b""
        self.start_offset = 0
        self.reason = ""
        self._digest = b""  # the sender's, once it has said it

    @property
    def digest(self) -> bytes:
        """The whole file's sha256 as the sender stated it (b"" until then).

        On the receiving side a transfer is complete only if its own digest
        of what it wrote matched this one.
        """
        return self._digest

    @classmethod
    def offer_file(
        cls, tid: int, path: str, size: int, *, request: int = 0, limits: Limits = DEFAULT_LIMITS
    ) -> tuple[Transfer, FileOffer]:
        offer = FileOffer(tid, path, size, request)
        return cls(TransferParty.SENDER, offer, limits=limits), offer

    @classmethod
    def offered(cls, offer: FileOffer, *, limits: Limits = DEFAULT_LIMITS) -> Transfer:
        return cls(TransferParty.RECEIVER, offer, limits=limits)

    @property
    def tid(self) -> int:
        return self.offer.tid

    @property
    def size(self) -> int:
        return self.offer.size

    @property
    def finished(self) -> bool:
        return self.state in FINAL

    @property
    def in_flight(self) -> int:
        return self.position - self.acked

    # Moving the state ----------------------------------------------------------------

    def _next_state(self, party: TransferParty, message: TransferMessage) -> TransferState:
        new = TRANSFER_TRANSITIONS[self.state].get((party, type(message)))
        if new is None:
            what = f"{type(message).__name__} from the {party.value} while {self.state.value}"
            if party is self.party:
                raise LocalProtocolError(f"transfer {self.tid}: cannot send {what}")
            raise ProtocolError(f"transfer {self.tid}: unexpected {what}", reason="transfer")
        return new

    def _send(self, message: TransferMessage) -> None:
        if message.tid != self.tid:
            raise LocalProtocolError(f"message for transfer {message.tid} sent on {self.tid}")
        self.state = self._next_state(self.party, message)

    def receive(self, message: TransferMessage) -> TransferMessage | None:
        """Check *message* from the other end and apply it; ``None`` if it came too late."""
        other = (
            TransferParty.RECEIVER if self.party is TransferParty.SENDER else TransferParty.SENDER
        )
        if message.tid != self.tid:
            raise ProtocolError(f"message for transfer {message.tid} on {self.tid}")
        if isinstance(message, FileOffer):
            raise ProtocolError(f"transfer {self.tid} offered twice", reason="transfer")
        if self.state in FINAL and isinstance(message, _LATE_OK[other]):
            return None
        if isinstance(message, FileCancel) and message.by_sender is not (
            other is TransferParty.SENDER
        ):
            raise ProtocolError(f"transfer {self.tid}: a cancel that names the wrong side")
        checks = {
            FileAccept: self._on_accept,
            FileStart: self._on_start,
            FileChunk: self._on_chunk,
            FileAck: self._on_ack,
            FileDone: self._on_done,
        }
        new = self._next_state(other, message)
        if (check := checks.get(type(message))) is not None:
            check(message)
        self.state = new
        if isinstance(message, FileCancel | FileRefuse):
            self.reason = message.reason
        return message

    # The receiver ------------------------------------------------------------------

    def accept(
        self, offset: int = 0, prefix: bytes = b"", window: int = DEFAULT_WINDOW_BYTES
    ) -> FileAccept:
        """Say yes; *offset* bytes whose sha256 is *prefix* are already here."""
        if not 0 <= offset <= self.size or (offset > 0) != (len(prefix) == DIGEST_BYTES):
            raise LocalProtocolError("resume needs an offset within the file and its prefix digest")
        if not 0 < window <= self._limits.max_window_bytes:
            raise LocalProtocolError(f"window of {window} bytes outside the limits")
        message = FileAccept(self.tid, offset, prefix, window)
        self._send(message)
        self.window, self.resume_offset = window, offset
        return message

    def refuse(self, reason: str) -> FileRefuse:
        message = FileRefuse(self.tid, reason)
        self._send(message)
        self.reason = reason
        return message

    @property
    def ack_due(self) -> bool:
        """Acknowledge now: a share of the window is written, or the last byte is."""
        return self.ack_due_at(self.position)

    def ack_due_at(self, written: int) -> bool:
        """As :attr:`ack_due` for a receiver whose writes lag: *written* bytes are on disk."""
        unacked = written - self.acked
        return unacked > 0 and (
            unacked >= max(1, self.window // ACK_FRACTION) or written == self.size
        )

    def ack(self, written: int | None = None) -> FileAck:
        """Everything received so far (or the first *written* bytes) is written."""
        upto = self.position if written is None else written
        self._require(TransferParty.RECEIVER)
        if not self.acked < upto <= self.position:
            raise LocalProtocolError(
                f"transfer {self.tid}: cannot acknowledge {upto} bytes "
                f"({self.acked} acknowledged, {self.position} received)"
            )
        message = FileAck(self.tid, upto)
        self._send(message)
        self.acked = upto
        return message

    def verify(self, digest: bytes) -> FileComplete | FileCancel:
        """Our own digest of the content: complete if it matches the sender's, else cancel."""
        self._require(TransferParty.RECEIVER)
        if self.state is not TransferState.VERIFYING:
            raise LocalProtocolError(
                f"transfer {self.tid}: nothing to verify while {self.state.value}"
            )
        if digest == self._digest:
            done = FileComplete(self.tid)
            self._send(done)
            return done
        return self.cancel("the file arrived damaged (its digest does not match); send it again")

    # The sender ------------------------------------------------------------------------

    def start(self, offset: int) -> FileStart:
        """Begin at the accepted *offset* (the prefixes match) or at 0."""
        if offset not in (0, self.resume_offset):
            raise LocalProtocolError("start at the accepted offset or at 0")
        message = FileStart(self.tid, offset)
        self._require(TransferParty.SENDER)
        self._send(message)
        self.position = self.acked = self.start_offset = offset
        return message

    @property
    def room(self) -> int:
        """Bytes the sender may send now without exceeding the window."""
        if self.state is not TransferState.MOVING:
            return 0
        return min(self.window - self.in_flight, self.size - self.position)

    def chunk(self, data: bytes) -> FileChunk:
        self._require(TransferParty.SENDER)
        if not data or len(data) > min(self.room, self._limits.max_chunk_bytes):
            raise LocalProtocolError(
                f"transfer {self.tid}: a chunk of {len(data)} bytes with {self.room} of room"
            )
        message = FileChunk(self.tid, self.position, data)
        self._send(message)
        self.position += len(data)
        return message

    def done(self, digest: bytes) -> FileDone:
        self._require(TransferParty.SENDER)
        if self.position != self.size:
            raise LocalProtocolError(f"transfer {self.tid}: done after {self.position} bytes")
        message = FileDone(self.tid, digest)
        self._send(message)
        self._digest = digest
        return message

    # Either end ------------------------------------------------------------------------

    def cancel(self, reason: str) -> FileCancel:
        message = FileCancel(self.tid, reason, by_sender=self.party is TransferParty.SENDER)
        self._send(message)
        self.reason = reason
        return message

    # Checks on what the other end sent -------------------------------------------------

    def _require(self, party: TransferParty) -> None:
        if self.party is not party:
            raise LocalProtocolError(f"only the {party.value} does that")

    def _on_accept(self, message: TransferMessage) -> None:
        assert isinstance(message, FileAccept)
        if message.offset > self.size or (message.offset > 0) != bool(message.prefix):
            raise ProtocolError(f"transfer {self.tid}: resume offset beyond the file")
        if message.window <= 0:
            raise ProtocolError(f"transfer {self.tid}: an empty window")
        self.window, self.resume_offset = message.window, message.offset
        self.resume_prefix = message.prefix

    def _on_start(self, message: TransferMessage) -> None:
        assert isinstance(message, FileStart)
        if message.offset not in (0, self.resume_offset):
            raise ProtocolError(f"transfer {self.tid}: started at an offset nobody agreed on")
        self.position = self.acked = self.start_offset = message.offset

    def _on_chunk(self, message: TransferMessage) -> None:
        assert isinstance(message, FileChunk)
        if message.offset != self.position:
            raise ProtocolError(
                f"transfer {self.tid}: chunk at {message.offset}, expected {self.position}"
            )
        end = message.offset + len(message.data)
        if end > self.size:
            raise ProtocolError(f"transfer {self.tid}: more data than the offered size")
        if end - self.acked > self.window:
            raise ProtocolError(f"transfer {self.tid}: the sender overran the window")
        self.position = end

    def _on_ack(self, message: TransferMessage) -> None:
        assert isinstance(message, FileAck)
        if not self.acked < message.offset <= self.position:
            raise ProtocolError(f"transfer {self.tid}: acknowledged bytes never sent")
        self.acked = message.offset

    def _on_done(self, message: TransferMessage) -> None:
        assert isinstance(message, FileDone)
        if self.position != self.size:
            raise ProtocolError(f"transfer {self.tid}: done after {self.position} of {self.size}")
        self._digest = message.digest


#: What the other party may still have had in flight when we reached an end state.
_LATE_OK: dict[TransferParty, tuple[type[TransferMessage], ...]] = {
    TransferParty.SENDER: (FileStart, FileChunk, FileDone, FileCancel),
    TransferParty.RECEIVER: (FileAccept, FileRefuse, FileAck, FileComplete, FileCancel),
}
