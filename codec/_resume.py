"""Resuming a channel after a drop: what was sent and not received is sent again, once.

Theory of operation
-------------------
A channel's frames carry counters (:mod:`codec._channel`), and the
receiver opens them strictly in order: a frame from the past is a replay,
a frame from the future is refused without moving on. So a sender that
keeps every frame the other end has not acknowledged can repair any loss
by sending again, from the first counter the other end lacks: the
receiver takes each frame exactly once and in order, whatever the relay
or the network dropped or repeated. Counters continue; keys stay.

Each direction of a channel has a :class:`ChannelSync`. It keeps the
frames sealed and not yet acknowledged (up to a byte budget) and is in one
of two states (:class:`SyncState`):

* ``IN_STEP``: frames go out as they are sealed.
* ``ASKING``: something broke (our connection, the other end's, a gap, a
  silence); frames are kept and not sent, and we ask the other end which
  counter it expects next. Its answer (``TOLD``) names it; we send every
  kept frame from there, in order, and are in step again.

Three uncounted payloads, each authenticated with a key derived from the
channel's key for its direction (so only the two ends can make them, and
one direction's cannot be reflected as the other's):

* ``ASK`` (a fresh random nonce): "which frame do you expect next?" One
  that is not itself an answer (``echo`` unset) also tells the receiver
  that the sender came back, so the receiver asks in turn (``echo`` set,
  which is never asked back: no ping-pong).
* ``TOLD`` (the ASK's nonce, the counter): the answer. A TOLD whose nonce
  is not the question we have open is ignored: an old answer replayed
  cannot make us skip or repeat frames, and only someone holding the
  channel's keys can answer a question asked now. That is the proof a
  rejoining member gives: it knows the keys, not the code.
* ``ACK`` (the counter): sent now and then while in step, so the sender
  can forget what arrived. It may be replayed: it only ever moves forward.

Payload layout: ``0x06 ‖ op (u8) ‖ flags (u8) ‖ nonce (16) ‖ counter (u64)
‖ MAC (16)``; the MAC is keyed BLAKE2b over ``hl01 ‖ sender (u32) ‖
receiver (u32)`` and everything before the MAC.

Nothing here does IO or reads a clock: ``now`` comes in, nonces come from
``secrets``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from collections import deque
from dataclasses import dataclass
from enum import Enum, IntEnum

from codec._errors import ProtocolError
from codec._payload import PayloadKind

__all__ = ["ChannelSync", "SyncState", "Synced"]

#: Bytes of sealed frames a sender keeps for resending, per direction.
#: Past it the oldest are forgotten, and a resume that needs them fails.
DEFAULT_MAX_UNACKED_BYTES = 64 * 1024 * 1024
#: The receiver acknowledges after this many frames, or this many bytes (a file
#: transfer's 1 MiB chunks would otherwise cost an acknowledgement each).
ACK_EVERY_FRAMES = 64
ACK_EVERY_BYTES = 4 * 1024 * 1024
#: ... and at the latest this long after the first frame it has not acknowledged.
ACK_DELAY = 1.0
#: A question with no answer is asked again after this long (it may have been lost).
ASK_RETRY = 3.0

_NONCE_BYTES = 16
_MAC_BYTES = 16
_BODY = struct.Struct(">BBB16sQ")  # kind, op, flags, nonce, counter
_AD = struct.Struct(">4sII")
_AD_TAG = b"hl01"
_FLAG_ECHO = 1
_NO_NONCE = bytes(_NONCE_BYTES)
SIZE = _BODY.size + _MAC_BYTES


class SyncOp(IntEnum):
    ASK = 1
    TOLD = 2
    ACK = 3


class SyncState(Enum):
    IN_STEP = "in step"
    ASKING = "asking the other end where to resume"


class _Event(Enum):
    LOST = "lost"  # a drop, a gap, a silence: stop sending, ask
    ASKED = "asked"  # the other end came back and asks us
    ASKED_BACK = "asked back"  # the other end answers our coming back by asking
    TOLD = "told"  # the answer to our open question
    ACKED = "acked"


#: The one table: what each event does to the sending direction's state.
_TRANSITIONS: dict[tuple[SyncState, _Event], SyncState] = {
    (SyncState.IN_STEP, _Event.LOST): SyncState.ASKING,
    (SyncState.ASKING, _Event.LOST): SyncState.ASKING,
    (SyncState.IN_STEP, _Event.ASKED): SyncState.ASKING,
    (SyncState.ASKING, _Event.ASKED): SyncState.ASKING,
    (SyncState.IN_STEP, _Event.ASKED_BACK): SyncState.IN_STEP,
    (SyncState.ASKING, _Event.ASKED_BACK): SyncState.ASKING,
    (SyncState.ASKING, _Event.TOLD): SyncState.IN_STEP,
    (SyncState.IN_STEP, _Event.ACKED): SyncState.IN_STEP,
    (SyncState.ASKING, _Event.ACKED): SyncState.ASKING,
}


def sync_key(channel_key: bytes) -> bytes:
    """The MAC key of one direction's sync payloads, from that direction's channel key."""
    return hashlib.blake2b(b"", key=channel_key, person=b"hl-sync", digest_size=32).digest()


@dataclass(frozen=True, slots=True)
class Synced:
    """What one sync payload from the other end asks of us.

    *send*: payloads to transmit now, in order (our answer, our question,
    frames sent again). *resumed*: the other end answered our question, so
    it holds the channel's keys now (and is back, if it had gone).
    """

    send: tuple[bytes, ...] = ()
    resumed: bool = False


class ChannelSync:
    """Both directions' resume state of one channel, seen from one end."""

    def __init__(
        self,
        local_id: int,
        remote_id: int,
        send_key: bytes,
        receive_key: bytes,
        *,
        max_unacked_bytes: int = DEFAULT_MAX_UNACKED_BYTES,
    ) -> None:
        self._local_id = local_id
        self._remote_id = remote_id
        self._send_mac = sync_key(send_key)
        self._receive_mac = sync_key(receive_key)
        self._max_unacked = max_unacked_bytes
        self.state = SyncState.IN_STEP
        #: Frames sealed and not acknowledged: (counter, payload), oldest first.
        self._kept: deque[tuple[int, bytes]] = deque()
        self._kept_bytes = 0
        #: Counters below this were forgotten unacknowledged (the budget overflowed).
        self._forgotten_below = 0
        self._next_counter = 0
        self._question: bytes | None = None
        self._asked_at: float | None = None
        #: Since when the other end has been out of step (None: in step).
        self.away_since: float | None = None
        #: Bytes of frames sent again after a resume (a figure for tests and logs).
        self.resent_bytes = 0
        # The receiving direction: what we have and what we last acknowledged.
        self._received = 0
        self._acked = 0
        self._unacked_bytes = 0
        self._first_unacked_at: float | None = None
        #: The counter we last told the other end we expect: frames from there on
        #: may come twice (in flight, then sent again), and the second is no attack.
        self._told: int | None = None

    # The sending direction -----------------------------------------------------

    def sealed(self, counter: int, payload: bytes) -> bool:
        """Keep frame *counter* until acknowledged; whether to transmit it now."""
        self._kept.append((counter, payload))
        self._kept_bytes += len(payload)
        self._next_counter = counter + 1
        while self._kept_bytes > self._max_unacked and len(self._kept) > 1:
            old, data = self._kept.popleft()
            self._kept_bytes -= len(data)
            self._forgotten_below = old + 1
        return self.state is SyncState.IN_STEP

    @property
    def kept(self) -> int:
        """Frames kept for sending again (sent and not acknowledged, or held)."""
        return len(self._kept)

    def lost(self, now: float, *, online: bool) -> bytes | None:
        """Stop sending; the question to ask, if we can ask now (*online*)."""
        self._apply(_Event.LOST)
        if self.away_since is None:
            self.away_since = now
        return self._ask(now, echo=False, fresh=True) if online else None

    def ask_again(self, now: float) -> bytes | None:
        """The open question once more if it has waited too long (see :meth:`next_deadline`)."""
        if self.state is not SyncState.ASKING:
            return None
        if self._asked_at is not None and now < self._asked_at + ASK_RETRY:
            return None
        return self._ask(now, echo=False, fresh=self._question is None)

    # The receiving direction -----------------------------------------------------

    def opened(self, counter: int, size: int, now: float) -> bytes | None:
        """Frame *counter* opened; an ACK payload when one is due."""
        self._received = counter + 1
        self._unacked_bytes += size
        if self._first_unacked_at is None:
            self._first_unacked_at = now
        due = (
            self._received - self._acked >= ACK_EVERY_FRAMES
            or self._unacked_bytes >= ACK_EVERY_BYTES
        )
        return self._ack() if due else None

    def expected_duplicate(self, counter: int) -> bool:
        """Whether a second copy of frame *counter* is what resuming makes (not worth a report)."""
        return self._told is not None and counter >= self._told

    def ack_due(self, now: float) -> bytes | None:
        if self._first_unacked_at is not None and now >= self._first_unacked_at + ACK_DELAY:
            return self._ack()
        return None

    def next_deadline(self) -> float | None:
        times = []
        if self._first_unacked_at is not None:
            times.append(self._first_unacked_at + ACK_DELAY)
        if self.state is SyncState.ASKING and self._asked_at is not None:
            times.append(self._asked_at + ASK_RETRY)
        return min(times, default=None)

    # Sync payloads from the other end --------------------------------------------

    def receive(self, payload: bytes, now: float) -> Synced:
        """One sync payload from the other end; ProtocolError if it is not genuine."""
        op, echo, nonce, counter = self._open(payload)
        match op:
            case SyncOp.ASK:
                self._told = self._received
                answer = self._seal(SyncOp.TOLD, nonce, self._received)
                if echo:
                    self._apply(_Event.ASKED_BACK)
                    return Synced((answer,))
                # It came back: what we sent it meanwhile may be lost; ask in turn.
                self._apply(_Event.ASKED)
                if self.away_since is None:
                    self.away_since = now
                question = self._ask(now, echo=True, fresh=self._question is None)
                return Synced((answer, question))
            case SyncOp.TOLD:
                if self._question is None or not hmac.compare_digest(nonce, self._question):
                    # An answer to no question of ours: late, or replayed. Harmless.
                    return Synced()
                self._check_counter(counter)
                first_kept = self._kept[0][0] if self._kept else self._next_counter
                if counter < max(first_kept, self._forgotten_below):
                    raise ProtocolError(
                        f"the other end lacks frames from number {counter}, which were "
                        "forgotten (too much was unacknowledged); the channel cannot resume",
                        reason="cannot-resume",
                    )
                self._apply(_Event.TOLD)
                self._question = self._asked_at = self.away_since = None
                self._forget_below(counter)
                self.resent_bytes += self._kept_bytes
                return Synced(tuple(data for _, data in self._kept), resumed=True)
            case SyncOp.ACK:
                self._check_counter(counter)
                self._apply(_Event.ACKED)
                self._forget_below(counter)
                return Synced()
        raise ProtocolError("an unknown resume message", reason="malformed")

    # Helpers -----------------------------------------------------------------------

    def _apply(self, event: _Event) -> None:
        try:
            self.state = _TRANSITIONS[(self.state, event)]
        except KeyError:
            raise ProtocolError(
                f"a resume message out of turn ({event.value} while {self.state.value})",
                reason="out-of-turn",
            ) from None

    def _ask(self, now: float, *, echo: bool, fresh: bool) -> bytes:
        if fresh or self._question is None:
            self._question = secrets.token_bytes(_NONCE_BYTES)
        self._asked_at = now
        return self._seal(SyncOp.ASK, self._question, 0, echo=echo)

    def _ack(self) -> bytes:
        self._acked = self._received
        self._unacked_bytes = 0
        self._first_unacked_at = None
        return self._seal(SyncOp.ACK, _NO_NONCE, self._received)

    def _forget_below(self, counter: int) -> None:
        while self._kept and self._kept[0][0] < counter:
            _, data = self._kept.popleft()
            self._kept_bytes -= len(data)

    def _check_counter(self, counter: int) -> None:
        if counter > self._next_counter:
            raise ProtocolError(
                f"the other end claims frame {counter - 1}, which was never sent",
                reason="malformed",
            )

    def _seal(self, op: SyncOp, nonce: bytes, counter: int, *, echo: bool = False) -> bytes:
        body = _BODY.pack(PayloadKind.SYNC, op, _FLAG_ECHO if echo else 0, nonce, counter)
        ad = _AD.pack(_AD_TAG, self._local_id, self._remote_id)
        return body + _mac(self._send_mac, ad + body)

    def _open(self, payload: bytes) -> tuple[SyncOp, bool, bytes, int]:
        if len(payload) != SIZE:
            raise ProtocolError("a resume message of the wrong size", reason="malformed")
        body, tag = payload[: _BODY.size], payload[_BODY.size :]
        ad = _AD.pack(_AD_TAG, self._remote_id, self._local_id)
        if not hmac.compare_digest(tag, _mac(self._receive_mac, ad + body)):
            raise ProtocolError(
                "a resume message that does not prove the channel's keys (forged, or "
                "from someone who is not in the session)",
                reason="forged",
            )
        _, op, flags, nonce, counter = _BODY.unpack(body)
        try:
            return SyncOp(op), bool(flags & _FLAG_ECHO), nonce, counter
        except ValueError:
            raise ProtocolError("an unknown resume message", reason="malformed") from None


def _mac(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(data, key=key, person=b"hl-sync-mac", digest_size=_MAC_BYTES).digest()


def is_sync(payload: bytes) -> bool:
    return bool(payload) and payload[0] == PayloadKind.SYNC
