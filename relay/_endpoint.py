"""One WebSocket endpoint: its reader, its writer and its outbox.

Theory of operation
-------------------
After the upgrade, the connection's own task becomes the endpoint's
*reader*: it reads into the relay's shared buffer, lets the
:class:`~relay._websocket.FrameParser` cut messages out of it and hands each
to the router (``relay._router``), which may make it wait while a receiver
is full. A second task, the *writer*, drains the outbox: queued frames leave
in one ``sendmsg``, a forwarded payload still in the buffer it arrived in.

The endpoint's life is an :class:`~relay._state.EndpointLife`; every way out
of a room (a close by either side, a vanished client, a receiver stuck past
its time-out) goes through :meth:`Endpoint._advance`, which tells the
router once. Closing queues the last words (a rejection, the close frame);
the reader then only waits for the client's close, within
``close_timeout``, and the connection's owner closes the socket.
"""

from __future__ import annotations

import logging
from collections import deque
from itertools import islice
from typing import TYPE_CHECKING, Protocol

import trio

from codec import RelayRejected, encode_envelope
from relay._liveness import Liveness
from relay._socket import LINGER_QUIET_SECONDS
from relay._state import EndpointLife, EndpointState, LifeEvent
from relay._websocket import (
    BinaryMessage,
    ClientClosed,
    CloseCode,
    FrameParser,
    Opcode,
    Ping,
    Pong,
    TextMessage,
    Violation,
    WebSocketEvent,
    close_frame,
    frame_header,
    ping_frame,
    pong_frame,
)

if TYPE_CHECKING:
    import socket
    from collections.abc import Awaitable, Callable

    from codec import RelayEnvelope
    from relay._metrics import RelayMetrics
    from relay._quotas import BufferBudget
    from relay._settings import RelaySettings

__all__ = ["Endpoint", "EndpointHooks"]

logger = logging.getLogger("helpline.relay")

#: How long a rejected client may take to close first (see Endpoint.close).
CLOSE_GRACE_SECONDS = 0.25

#: Buffers handed to one ``sendmsg`` (the kernel takes at most IOV_MAX, 1024).
WRITE_BATCH_BUFFERS = 512

_VIOLATION_REASONS: dict[int, str] = {
    CloseCode.PROTOCOL_ERROR: "protocol-error",
    CloseCode.INVALID_DATA: "bad-utf8",
    CloseCode.POLICY_VIOLATION: "too-many-fragments",
    CloseCode.MESSAGE_TOO_BIG: "too-big",
}


#: What an endpoint with nothing queued holds instead of deques of its own
#: (about 600 bytes each): idle connections are most of a relay's.
#: :meth:`Endpoint._push` replaces them before the first append.
_NO_BUFFERS: deque[bytes | memoryview] = deque(maxlen=0)
_NO_FRAMES: deque[int] = deque(maxlen=0)


class EndpointHooks(Protocol):
    """What the router does for an endpoint; see ``relay._router``."""

    async def message(self, endpoint: Endpoint, data: bytearray, now: float) -> None: ...

    def left(self, endpoint: Endpoint) -> None: ...


class Endpoint:
    def __init__(
        self,
        sock: socket.socket,
        *,
        room_id: str,
        address: str,
        opened_at: float,
        settings: RelaySettings,
        metrics: RelayMetrics,
        budget: BufferBudget,
        hooks: EndpointHooks,
        scratch: bytearray,
    ) -> None:
        self.room_id = room_id
        self.address = address
        #: Assigned by the router on CreateRoom/JoinRoom.
        self.id: int | None = None
        self.life = EndpointLife()
        self.liveness = Liveness(
            opened_at=opened_at,
            handshake_timeout=settings.handshake_timeout,
            idle_timeout=settings.idle_timeout,
        )
        #: When the relay's clock will next look at this endpoint.
        self.alarm_at = float("inf")
        #: True if the connection must end with a reset (a frame was half sent).
        self.aborted = False
        #: A joiner the room's host has not sent anything yet (see relay._rooms).
        self.unanswered = False
        self._sock = sock
        self._scratch = scratch
        self._settings = settings
        self._metrics = metrics
        self._budget = budget
        self._hooks = hooks
        self._parser = FrameParser(settings.max_message_bytes)
        self._outbox = _NO_BUFFERS
        self._outbox_bytes = 0
        #: Sizes of the frames in the outbox, and how much of the first is sent:
        #: a close may drop whole frames only, never the rest of a started one.
        self._frames = _NO_FRAMES
        self._front_sent = 0
        self._writer_lot = trio.lowlevel.ParkingLot()
        self._space_lot = trio.lowlevel.ParkingLot()
        self._reader_scope = trio.CancelScope()
        # Shielded like the connection's guard: at shutdown the writer must
        # still send the 1001 close; close() bounds it in time instead.
        self._writer_scope = trio.CancelScope(shield=True)
        self._writer_done = trio.Event()
        self._close_queued = False
        #: A close frame held back until ``_close_at`` (see :meth:`close`).
        self._pending_close: bytes | None = None
        self._close_at = 0.0

    def __str__(self) -> str:
        return f"endpoint {self.id if self.id is not None else '?'} of room {self.room_id}"

    @property
    def buffered_bytes(self) -> int:
        return self._outbox_bytes

    # -- called by the router and the clock --------------------------------

    def admits(self, n: int) -> bool:
        """May *n* more bytes be queued for this endpoint now?"""
        return not self.life.open or self._budget.admits(self._outbox_bytes, n)

    async def wait_for_space(self, n: int) -> None:
        while not self.admits(n):
            await self._space_lot.park()

    def forward(self, prefix: bytes, payload: memoryview) -> None:
        """Queue one Delivered envelope: *prefix* then *payload*, unchanged."""
        if self.life.open:
            size = len(prefix) + len(payload)
            self._push(frame_header(Opcode.BINARY, size) + prefix, payload)

    def send_envelope(self, envelope: RelayEnvelope) -> None:
        if self.life.open:
            self._push_envelope(envelope)

    def joined(self, endpoint_id: int, now: float) -> None:
        self.id = endpoint_id
        self.life.advance(LifeEvent.ENTERED)
        self.liveness.joined(now)

    def ping(self, payload: bytes) -> None:
        if self.life.open:
            self._push(ping_frame(payload))

    def reject(
        self,
        rejection: RelayRejected,
        code: int = CloseCode.POLICY_VIOLATION,
        *,
        quiet: bool = False,
        flush: bool = False,
    ) -> None:
        """Tell the endpoint it was refused; close it too if *rejection* is fatal.

        *quiet* logs it at debug level only: an ordinary race, not a refusal.
        *flush* delivers what is already queued first (see :meth:`close`).
        """
        self._metrics.reject(rejection.reason)
        logger.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s (%s): refused, %s",
            self,
            self.address,
            rejection.reason,
        )
        if rejection.fatal:
            self.close(code, rejection, flush=flush)
        else:
            self.send_envelope(rejection)

    def close(
        self,
        code: int,
        rejection: RelayRejected | None = None,
        reason: str = "",
        *,
        flush: bool = False,
    ) -> None:
        """Leave the room now; send *rejection* (if any), then a close frame with *code*.

        What is still queued for the endpoint is dropped, unless *flush*: a
        member the host removes gets the host's last words first.
        """
        if not self.life.open:
            return
        if not flush:
            self._drop_outbox()
        now = trio.current_time()
        frame = close_frame(code, reason or (rejection.reason if rejection else ""))
        if rejection is not None:
            # Give the client a moment to read the rejection and close first:
            # trio-websocket clients leak their socket when the server's close
            # frame arrives before they close (and the RFC allows either).
            self._push_envelope(rejection)
            self._pending_close = frame
            self._close_at = now + CLOSE_GRACE_SECONDS
        else:
            self._queue_close(frame)
        self._reader_scope.deadline = now + self._settings.close_timeout
        self._writer_scope.deadline = now + 2 * self._settings.close_timeout
        self._advance(LifeEvent.CLOSE_STARTED)

    # -- the endpoint's two tasks ----------------------------------------------

    async def run(
        self, spawn: Callable[[Callable[[], Awaitable[None]]], None], initial: bytes = b""
    ) -> None:
        """Serve this endpoint until it is gone; the caller then closes the socket.

        *initial* is what the client sent right after its upgrade request, in
        the same read. *spawn* starts the writer task in the relay's nursery.
        """
        spawn(self._writer)
        try:
            with self._reader_scope:
                await self._read_loop(initial)
            if self.life.state is EndpointState.CLOSING:
                with trio.move_on_after(self._settings.close_timeout):
                    await self._writer_done.wait()
        finally:
            self._writer_scope.cancel()
            self._advance(LifeEvent.DISCONNECTED)

    async def _read_loop(self, initial: bytes) -> None:
        sock, scratch, parser = self._sock, self._scratch, self._parser
        data: memoryview
        while True:
            while self.life.open and self._outbox_bytes > self._budget.per_receiver_bytes:
                # A client that sends (pings, say) and never reads what it
                # gets: stop reading it until it does.
                await self._space_lot.park()
            if initial:
                data, initial = memoryview(initial), b""
            else:
                try:
                    n = sock.recv_into(scratch)
                except BlockingIOError:
                    n = -1  # waited for below: an exception held across the wait costs memory
                except OSError:
                    return
                if n < 0:
                    if self.life.open:
                        await trio.lowlevel.wait_readable(sock)
                        continue
                    # Closing: read on only while the client is still talking,
                    # so that closing the socket cannot reset our last words.
                    with trio.move_on_after(LINGER_QUIET_SECONDS) as quiet:
                        await trio.lowlevel.wait_readable(sock)
                    if quiet.cancelled_caught:
                        return
                    continue
                if not n:
                    return
                data = memoryview(scratch)[:n]
            # In a call of its own, so that a waiting endpoint holds neither a
            # view of the shared buffer nor the last message it forwarded.
            if await self._take(parser.receive_data(data)):
                return
            del data
            await trio.lowlevel.checkpoint()  # one read per turn: others' turn now

    async def _take(self, events: list[WebSocketEvent]) -> bool:
        """Act on one read's events; True once the close handshake is complete."""
        for event in events:
            if not self.life.open:
                if isinstance(event, ClientClosed):
                    if self._pending_close is not None:
                        code = CloseCode.NORMAL if event.code is None else event.code
                        self._queue_close(close_frame(code))
                    return True
                continue
            await self._on_event(event)
        return False

    async def _on_event(self, event: WebSocketEvent) -> None:
        now = trio.current_time()
        match event:
            case BinaryMessage(data):
                self.liveness.heard(now)
                await self._hooks.message(self, data, now)
            case Ping(payload):
                self.liveness.heard(now)
                self._push(pong_frame(payload))
            case Pong():
                self.liveness.heard(now)
            case TextMessage():
                self.reject(
                    RelayRejected(
                        "text-message", "the relay accepts binary WebSocket messages only", True
                    ),
                    CloseCode.UNSUPPORTED_DATA,
                )
            case ClientClosed(code):
                self.close(CloseCode.NORMAL if code is None else code)
                self._reader_scope.cancel()  # nothing more will come: no need to wait
            case Violation(code, reason):
                label = _VIOLATION_REASONS.get(code, "protocol-error")
                self._metrics.reject(label)
                logger.info("%s (%s): refused, %s: %s", self, self.address, label, reason)
                self.close(code, reason=reason)

    async def _writer(self) -> None:
        sock = self._sock
        try:
            with self._writer_scope:
                while self.life.state is not EndpointState.GONE:
                    if not self._outbox:
                        self._outbox, self._frames = _NO_BUFFERS, _NO_FRAMES
                        if self._close_queued:
                            return  # the close frame is out
                        if self._pending_close is None:
                            await self._writer_lot.park()
                        elif trio.current_time() < self._close_at:
                            with trio.move_on_at(self._close_at):
                                await self._writer_lot.park()
                        else:
                            self._queue_close(self._pending_close)
                        continue
                    try:
                        sent = sock.sendmsg(list(islice(self._outbox, WRITE_BATCH_BUFFERS)))
                    except BlockingIOError:
                        with trio.move_on_after(self._settings.slow_receiver_timeout) as timer:
                            await trio.lowlevel.wait_writable(sock)
                        if timer.cancelled_caught:
                            self._drop_stuck_receiver()
                            return
                        continue
                    except OSError:
                        self._advance(LifeEvent.DISCONNECTED)
                        self._reader_scope.cancel()
                        return
                    self._consume(sent)
                    await trio.lowlevel.checkpoint()
        finally:
            self._writer_done.set()

    # -- internals ----------------------------------------------------------

    def _queue_close(self, frame: bytes) -> None:
        self._pending_close = None
        self._push(frame)
        self._close_queued = True

    def _push_envelope(self, envelope: RelayEnvelope) -> None:
        data = encode_envelope(envelope)
        self._push(frame_header(Opcode.BINARY, len(data)) + data)

    def _push(self, *buffers: bytes | memoryview) -> None:
        if self._outbox is _NO_BUFFERS:
            self._outbox, self._frames = deque(), deque()
        size = 0
        for buffer in buffers:
            self._outbox.append(buffer)
            size += len(buffer)
        self._frames.append(size)
        self._outbox_bytes += size
        self._budget.charge(size)
        self._metrics.queued(size, self._outbox_bytes)
        self._writer_lot.unpark_all()

    def _consume(self, sent: int) -> None:
        self._release(sent)
        outbox, frames = self._outbox, self._frames
        left = sent
        while left:
            first = outbox[0]
            if len(first) <= left:
                left -= len(first)
                outbox.popleft()
            else:
                outbox[0] = memoryview(first)[left:]
                left = 0
        left = sent + self._front_sent
        while frames and frames[0] <= left:
            left -= frames.popleft()
        self._front_sent = left

    def _drop_outbox(self, *, keep_started_frame: bool = True) -> None:
        """Forget what is queued, except the rest of a frame already begun."""
        keep = 0
        if keep_started_frame and self._front_sent:
            keep = self._frames[0] - self._front_sent
        dropped = self._outbox_bytes - keep
        if keep:
            kept: deque[bytes | memoryview] = deque()
            while sum(len(b) for b in kept) < keep:
                kept.append(self._outbox.popleft())
            self._outbox, self._frames = kept, deque([self._frames[0]])
        else:
            self._outbox, self._frames = _NO_BUFFERS, _NO_FRAMES
            self._front_sent = 0
        self._release(dropped)

    def _release(self, n: int) -> None:
        if n:
            self._outbox_bytes -= n
            self._budget.release(n)
            self._metrics.queued(-n, self._outbox_bytes)
            self._space_lot.unpark_all()

    def _drop_stuck_receiver(self) -> None:
        # A frame may be half written, so no clean close is possible: reset
        # the connection. This also unblocks every sender waiting on us.
        self._metrics.reject("slow-receiver")
        logger.info(
            "%s (%s): dropped, took over %s s to accept a message",
            self,
            self.address,
            self._settings.slow_receiver_timeout,
        )
        self.aborted = True
        self._advance(LifeEvent.DISCONNECTED)
        self._reader_scope.cancel()

    def _advance(self, event: LifeEvent) -> None:
        """The one way along the endpoint's life; leaving the room is told once."""
        if self.life.state is EndpointState.GONE:
            return
        left_room = self.life.advance(event)
        if event is LifeEvent.DISCONNECTED:
            # The clock may hold on to this object for a while: hold nothing big.
            self._parser.discard()
            self._drop_outbox(keep_started_frame=False)
            self._writer_lot.unpark_all()
        self._space_lot.unpark_all()
        if left_room:
            self._hooks.left(self)
