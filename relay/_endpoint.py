"""One WebSocket endpoint: its reader, its outbox and the way out of its room.

Theory of operation
-------------------
After the upgrade, the connection's own task becomes the endpoint's
*reader*: it reads into the relay's shared buffer, lets the
:class:`~relay._websocket.FrameParser` cut messages out of it and hands each
to the router (``relay._router``), which may make it wait while a receiver
is full. What is queued for the endpoint waits in its
:class:`~relay._outbox.Outbox` until the task that queued it flushes (see
``relay._outbox``); only an endpoint whose socket is full has a second task,
its writer, and only until the socket has taken everything.

The endpoint's life is an :class:`~relay._state.EndpointLife`; every way out
of a room (a close by either side, a vanished client, a receiver stuck past
its time-out) goes through :meth:`Endpoint._advance`, which tells the
router once. Closing queues the last words (a rejection, the close frame);
the reader then only waits for the client's close, within
``close_timeout``, and for the last words to leave, and the connection's
owner closes the socket.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Protocol

import trio

from codec import RelayRejected, encode_envelope
from relay._liveness import Liveness
from relay._outbox import Outbox, Written
from relay._poller import QUIET_SECONDS
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
    from relay._outbox import Flusher
    from relay._poller import ReadPoller
    from relay._quotas import BufferBudget
    from relay._settings import RelaySettings

__all__ = ["Endpoint", "EndpointHooks"]

logger = logging.getLogger("helpline.relay")

#: How long a rejected client may take to close first (see Endpoint.close).
CLOSE_GRACE_SECONDS = 0.25

_VIOLATION_REASONS: dict[int, str] = {
    CloseCode.PROTOCOL_ERROR: "protocol-error",
    CloseCode.INVALID_DATA: "bad-utf8",
    CloseCode.POLICY_VIOLATION: "too-many-fragments",
    CloseCode.MESSAGE_TOO_BIG: "too-big",
}


def _recv_into(sock: socket.socket, buffer: bytearray) -> int | None:
    """Bytes read into *buffer*: -1 if none are ready, None if the connection broke.

    A function of its own because an exception raised in a frame gives that
    frame a frame object for the rest of its life (about 260 bytes), which
    the reader's frame, alive as long as its connection, should not get.
    """
    try:
        return sock.recv_into(buffer)
    except BlockingIOError:
        return -1
    except OSError:
        return None


class EndpointHooks(Protocol):
    """What the router does for an endpoint; see ``relay._router``."""

    async def message(self, endpoint: Endpoint, data: bytes | bytearray, now: float) -> None: ...

    def left(self, endpoint: Endpoint) -> None: ...


class EndpointContext(Protocol):
    """What every endpoint of one relay shares."""

    settings: RelaySettings
    metrics: RelayMetrics
    budget: BufferBudget
    hooks: EndpointHooks
    flusher: Flusher
    #: Where idle readers wait (None: through trio, where there is no epoll).
    poller: ReadPoller | None
    #: The buffer every reader reads into (reads are handled to the end first).
    scratch: bytearray

    def spawn(self, task: Callable[[], Awaitable[None]]) -> None: ...


class Endpoint:
    # Slotted: a relay holds thousands of these, most of them idle.
    __slots__ = (
        "_close_at",
        "_closed_by",
        "_context",
        "_drained",
        "_marked",
        "_outbox",
        "_parser",
        "_pending_close",
        "_reader_scope",
        "_sock",
        "_space_lot",
        "_writing",
        "aborted",
        "address",
        "alarm_at",
        "id",
        "life",
        "liveness",
        "room_id",
        "unanswered",
    )

    def __init__(
        self,
        sock: socket.socket,
        *,
        room_id: str,
        address: str,
        opened_at: float,
        context: EndpointContext,
    ) -> None:
        settings = context.settings
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
        self._context = context
        self._parser = FrameParser(settings.max_message_bytes)
        self._outbox = Outbox(sock, context.budget, context.metrics)
        #: Waiting in the flusher's list; a writer task is running.
        self._marked = False
        self._writing = False
        #: Made only while someone waits (most endpoints never have either).
        self._space_lot: trio.lowlevel.ParkingLot | None = None
        self._drained: trio.Event | None = None
        self._reader_scope = trio.CancelScope()
        #: A close frame held back until ``_close_at`` (see :meth:`close`).
        self._pending_close: bytes | None = None
        self._close_at = 0.0
        #: When a closing endpoint is given up on (see :meth:`close`).
        self._closed_by = 0.0

    def __str__(self) -> str:
        return f"endpoint {self.id if self.id is not None else '?'} of room {self.room_id}"

    @property
    def buffered_bytes(self) -> int:
        return self._outbox.bytes

    # -- called by the router and the clock --------------------------------

    def admits(self, n: int) -> bool:
        """May *n* more bytes be queued for this endpoint now?"""
        return not self.life.open or self._context.budget.admits(self._outbox.bytes, n)

    async def wait_for_space(self, n: int) -> None:
        while not self.admits(n):
            await self._space().park()

    def forward(self, head: bytes, payload: memoryview) -> None:
        """Queue one Delivered envelope: *head* (frame header and envelope prefix), *payload*."""
        if self.life.open:
            self._push(head, payload)

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
        self._context.metrics.reject(rejection.reason)
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
            self._outbox.drop()
            self._unpark_space()
        now = trio.current_time()
        frame = close_frame(code, reason or (rejection.reason if rejection else ""))
        # The client has close_timeout from our close frame to answer it.
        self._closed_by = now + self._context.settings.close_timeout
        if rejection is not None:
            # Give the client a moment to read the rejection and close first:
            # trio-websocket clients leak their socket when the server's close
            # frame arrives before they close (and the RFC allows either).
            self._push_envelope(rejection)
            self._pending_close = frame
            self._close_at = now + CLOSE_GRACE_SECONDS
            self._closed_by += CLOSE_GRACE_SECONDS
            self._reader_scope.deadline = self._close_at  # to send it then (see run)
        else:
            self._queue_close(frame)
            self._reader_scope.deadline = self._closed_by
        self._advance(LifeEvent.CLOSE_STARTED)

    def flush(self) -> None:
        """Send what is queued, as far as the socket takes it now (the flusher calls this)."""
        self._marked = False
        if self._writing or self.life.state is EndpointState.GONE:
            return
        written = self._outbox.write()
        self._unpark_space()
        if written is Written.ALL:
            self._notify_drained()
        elif written is Written.BROKEN:
            self._broken()
        else:
            self._writing = True
            self._context.spawn(partial(self._write_rest, written))

    # -- the endpoint's tasks ----------------------------------------------------

    async def run(self, initial: bytes = b"") -> None:
        """Serve this endpoint until it is gone; the caller then closes the socket.

        *initial* is what the client sent right after its upgrade request, in
        the same read.
        """
        try:
            with self._reader_scope:
                await self._read_loop(initial)
            if self.life.state is EndpointState.CLOSING:
                with trio.move_on_at(self._closed_by):
                    await self._send_last_words()
        finally:
            self._advance(LifeEvent.DISCONNECTED)
            self._context.flusher.flush()  # the others' MemberLeft

    async def _read_loop(self, initial: bytes) -> None:
        sock, parser, context = self._sock, self._parser, self._context
        scratch, per_receiver = context.scratch, context.budget.per_receiver_bytes
        data: memoryview
        while True:
            while self.life.open and self._outbox.bytes > per_receiver:
                # A client that sends (pings, say) and never reads what it
                # gets: stop reading it until it does.
                await self._space().park()
            if initial:
                data, initial = memoryview(initial), b""
            else:
                n = _recv_into(sock, scratch)
                if n is None:
                    return
                if n < 0:
                    if self.life.open:
                        if context.poller is None:
                            await trio.lowlevel.wait_readable(sock)
                            continue
                        # Trio wakes a waiting task a scheduling round sooner
                        # than the poller can; the poller's wait is the small
                        # one. So a connection waits through trio while it is
                        # busy, and through the poller once it has been quiet.
                        with trio.move_on_after(QUIET_SECONDS):
                            await trio.lowlevel.wait_readable(sock)
                            continue
                        context.poller.arm(sock)
                        await trio.lowlevel.wait_task_rescheduled(self._stop_waiting)
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
            context.flusher.flush()  # what this read queued leaves in this turn
            await trio.lowlevel.checkpoint()  # one read per turn: others' turn now

    async def _take(self, events: list[WebSocketEvent]) -> bool:
        """Act on one read's events; True once the close handshake is complete."""
        if not events:
            return False
        # One clock reading and one liveness update a read, not a message:
        # a read of small messages holds hundreds.
        now = trio.current_time()
        life, message = self.life, self._context.hooks.message
        if life.open:
            self.liveness.heard(now)
        for event in events:
            if not life.open:
                if isinstance(event, ClientClosed):
                    if self._pending_close is not None:
                        code = CloseCode.NORMAL if event.code is None else event.code
                        self._queue_close(close_frame(code))
                    return True
                continue
            if type(event) is BinaryMessage:
                await message(self, event.data, now)
            else:
                self._on_event(event)
        return False

    def _on_event(self, event: WebSocketEvent) -> None:
        match event:  # binary messages are _take's
            case Ping(payload):
                self._push(pong_frame(payload))
            case Pong():
                pass
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
                self._context.metrics.reject(label)
                logger.info("%s (%s): refused, %s: %s", self, self.address, label, reason)
                self.close(code, reason=reason)

    async def _send_last_words(self) -> None:
        """Closing: send the held-back close frame on time, then wait until all is out."""
        if self._pending_close is not None:
            await trio.sleep_until(self._close_at)
            if self._pending_close is not None and self.life.state is EndpointState.CLOSING:
                self._queue_close(self._pending_close)
                self._context.flusher.flush()
                if self._reader_scope.cancelled_caught:
                    # The reader stopped to send it: hear the client's close now.
                    await self._read_loop(b"")
        while self.life.state is EndpointState.CLOSING and (self._outbox or self._writing):
            drained = self._drained = trio.Event()
            await drained.wait()

    async def _write_rest(self, written: Written) -> None:
        """Write the rest of the outbox, a slice a turn, waiting while the socket is full.

        The writer task, started when a flush left something queued.
        """
        sock, timeout = self._sock, self._context.settings.slow_receiver_timeout
        try:
            while self.life.state is not EndpointState.GONE:
                if written is Written.MORE:
                    await trio.lowlevel.checkpoint()
                else:
                    with trio.move_on_after(timeout) as timer:
                        await trio.lowlevel.wait_writable(sock)
                    if timer.cancelled_caught:
                        self._drop_stuck_receiver()
                        return
                written = self._outbox.write()
                self._unpark_space()
                if written is Written.ALL:
                    return
                if written is Written.BROKEN:
                    self._broken()
                    return
        except trio.ClosedResourceError:
            return  # the connection's owner closed the socket
        finally:
            self._writing = False
            self._notify_drained()
            self._context.flusher.flush()  # the others' MemberLeft, if it left

    # -- internals ----------------------------------------------------------

    def _stop_waiting(self, _: object) -> trio.lowlevel.Abort:
        assert self._context.poller is not None
        self._context.poller.forget(self._sock)
        return trio.lowlevel.Abort.SUCCEEDED

    def _queue_close(self, frame: bytes) -> None:
        self._pending_close = None
        self._push(frame)

    def _push_envelope(self, envelope: RelayEnvelope) -> None:
        data = encode_envelope(envelope)
        self._push(frame_header(Opcode.BINARY, len(data)) + data)

    def _push(self, *buffers: bytes | memoryview) -> None:
        self._outbox.push(buffers)
        if not self._marked:
            self._marked = True
            self._context.flusher.mark(self)

    def _space(self) -> trio.lowlevel.ParkingLot:
        if self._space_lot is None:
            self._space_lot = trio.lowlevel.ParkingLot()
        return self._space_lot

    def _unpark_space(self) -> None:
        lot, self._space_lot = self._space_lot, None
        if lot is not None:
            lot.unpark_all()

    def _notify_drained(self) -> None:
        event, self._drained = self._drained, None
        if event is not None:
            event.set()

    def _broken(self) -> None:
        self._advance(LifeEvent.DISCONNECTED)
        self._reader_scope.cancel()

    def _drop_stuck_receiver(self) -> None:
        # A frame may be half written, so no clean close is possible: reset
        # the connection. This also unblocks every sender waiting on us.
        self._context.metrics.reject("slow-receiver")
        logger.info(
            "%s (%s): dropped, took over %s s to accept a message",
            self,
            self.address,
            self._context.settings.slow_receiver_timeout,
        )
        self.aborted = True
        self._broken()

    def _advance(self, event: LifeEvent) -> None:
        """The one way along the endpoint's life; leaving the room is told once."""
        if self.life.state is EndpointState.GONE:
            return
        left_room = self.life.advance(event)
        if event is LifeEvent.DISCONNECTED:
            # The clock may hold on to this object for a while: hold nothing big.
            self._parser.discard()
            self._outbox.drop(keep_started_frame=False)
            self._notify_drained()
        self._unpark_space()
        if left_room:
            self._context.hooks.left(self)
