"""One connected endpoint: its reader, its writer, its keepalive and its outbox.

Theory of operation
-------------------
Each endpoint runs three tasks in one nursery:

* the **reader** takes envelopes off the WebSocket and hands them to the
  relay (:class:`EndpointHooks`). Forwarding a Send may wait for room in the
  receiver's outbox; while it waits, nothing more is read from this socket,
  so TCP pushes back on the sender and the relay's memory stays bounded.
* the **writer** is the only task that sends data frames: it drains the
  outbox in order. A receiver that cannot take one message within
  ``slow_receiver_timeout`` is dropped, which in turn frees its senders.
* the **keepalive** sleeps until the :class:`Liveness` deadline, then pings
  or closes.

Closing is one path for every reason (a rejection, a kick, a timeout, the
relay shutting down): :meth:`Endpoint.close` leaves the room at once, drops
what is queued, queues the ``RelayRejected`` envelope, and the writer sends
it and closes the WebSocket with the close code, bounded in time.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from typing import TYPE_CHECKING, Protocol

import trio
from trio_websocket import ConnectionClosed, WebSocketConnection

from codec import (
    ClientEnvelope,
    Limits,
    ProtocolError,
    RelayEnvelope,
    RelayRejected,
    decode_client_envelope,
    encode_envelope,
)
from relay._errors import RejectedError
from relay._liveness import Liveness, LivenessAction

if TYPE_CHECKING:
    from relay._http import ReplayStream
    from relay._metrics import RelayMetrics
    from relay._settings import RelaySettings

__all__ = ["CloseCode", "Endpoint", "EndpointHooks"]

#: The writer sends queued messages up to this many bytes with one system
#: call; small chat and input messages then cost a fraction of a syscall each.
WRITE_BATCH_BYTES = 256 * 1024

logger = logging.getLogger("helpline.relay")


class CloseCode:
    """WebSocket close codes the relay uses (RFC 6455, section 7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011


class EndpointHooks(Protocol):
    """What the relay does with an endpoint's envelopes; see ``relay._server``."""

    async def handle(self, endpoint: Endpoint, envelope: ClientEnvelope, now: float) -> None: ...

    def left(self, endpoint: Endpoint) -> None: ...


class Endpoint:
    def __init__(
        self,
        ws: WebSocketConnection,
        raw_stream: trio.abc.Stream,
        *,
        gather: ReplayStream | None = None,
        room_id: str,
        address: str,
        opened_at: float,
        settings: RelaySettings,
        metrics: RelayMetrics,
        hooks: EndpointHooks,
    ) -> None:
        self.room_id = room_id
        self.address = address
        #: Assigned by the relay on CreateRoom/JoinRoom.
        self.id: int | None = None
        #: True from joining until leaving; a room id can be reused after it
        #: empties, so leaving twice must never touch the new room.
        self.in_room = False
        #: True once the endpoint accepts no more messages (closing or gone).
        self.gone = False
        self.liveness = Liveness(
            opened_at=opened_at,
            handshake_timeout=settings.handshake_timeout,
            idle_timeout=settings.idle_timeout,
        )
        self._ws = ws
        self._raw_stream = raw_stream
        self._gather = gather
        self._settings = settings
        self._metrics = metrics
        self._hooks = hooks
        self._limits = Limits(max_envelope_bytes=settings.max_message_bytes)
        self._outbox: deque[bytes] = deque()
        # Includes the message the writer is sending: it is still in memory.
        self._outbox_bytes = 0
        self._writer_lot = trio.lowlevel.ParkingLot()
        self._space_lot = trio.lowlevel.ParkingLot()
        self._closing: tuple[int, str] | None = None
        self._nursery: trio.Nursery | None = None
        self._reader_scope = trio.CancelScope()
        self._alarm: trio.CancelScope | None = None
        self._ping_ids = itertools.count()

    def __str__(self) -> str:
        return f"endpoint {self.id if self.id is not None else '?'} of room {self.room_id}"

    @property
    def buffered_bytes(self) -> int:
        return self._outbox_bytes

    # -- called from any task -----------------------------------------------

    def has_room_for(self, n: int) -> bool:
        """Would queueing *n* bytes keep this receiver within its budget?

        An empty outbox always takes one message, so a message larger than the
        budget still goes through, alone.
        """
        return (
            self.gone
            or not self._outbox_bytes
            or self._outbox_bytes + n <= self._settings.receiver_buffer_bytes
        )

    async def wait_for_room(self, n: int) -> None:
        while not self.has_room_for(n):
            await self._space_lot.park()

    def enqueue(self, data: bytes) -> None:
        """Queue *data* for sending; a no-op once the endpoint is gone."""
        if self.gone:
            return
        self._outbox.append(data)
        self._outbox_bytes += len(data)
        self._metrics.queued(len(data), self._outbox_bytes)
        self._writer_lot.unpark_all()

    def send_envelope(self, envelope: RelayEnvelope) -> None:
        self.enqueue(encode_envelope(envelope))

    def joined(self, endpoint_id: int, now: float) -> None:
        self.id = endpoint_id
        self.in_room = True
        self.liveness.joined(now)
        self._reschedule()

    def reject(self, rejection: RelayRejected, code: int = CloseCode.POLICY_VIOLATION) -> None:
        """Tell the endpoint it was refused; close it too if *rejection* is fatal."""
        self._metrics.reject(rejection.reason)
        logger.info("%s (%s): refused, %s", self, self.address, rejection.reason)
        if rejection.fatal:
            self.close(code, rejection)
        else:
            self.send_envelope(rejection)

    def close(self, code: int, rejection: RelayRejected | None = None) -> None:
        """Leave the room now; send *rejection* (if any), then close with *code*."""
        if self.gone:
            return
        self._drop_outbox()
        if rejection is not None:
            self.send_envelope(rejection)
        self.gone = True
        self._closing = (code, rejection.reason if rejection is not None else "")
        self._reader_scope.cancel()
        self._writer_lot.unpark_all()
        self._space_lot.unpark_all()
        self._hooks.left(self)

    # -- the endpoint's own tasks -------------------------------------------

    async def run(self) -> None:
        """Serve this endpoint until it leaves or is closed."""
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._writer)
                nursery.start_soon(self._keepalive)
                with self._reader_scope:
                    await self._read_loop()
                if self._closing is None:
                    # The peer went away: nothing queued can reach it any more.
                    nursery.cancel_scope.cancel()
        finally:
            self.gone = True
            self._drop_outbox()
            self._space_lot.unpark_all()
            self._hooks.left(self)

    async def _read_loop(self) -> None:
        while True:
            try:
                message = await self._ws.get_message()
            except ConnectionClosed as exc:
                if exc.reason is not None and exc.reason.code == CloseCode.MESSAGE_TOO_BIG:
                    # trio-websocket has already sent the 1009 close frame.
                    self._metrics.reject("too-big")
                    logger.info("%s (%s): refused, too-big", self, self.address)
                return
            now = trio.current_time()
            self.liveness.heard(now)
            if isinstance(message, str):
                self.reject(
                    RelayRejected(
                        "text-message", "the relay accepts binary WebSocket messages only", True
                    ),
                    CloseCode.UNSUPPORTED_DATA,
                )
                return
            try:
                envelope = decode_client_envelope(message, self._limits)
            except ProtocolError as exc:
                self.reject(RelayRejected(exc.reason, str(exc), True), CloseCode.PROTOCOL_ERROR)
                return
            try:
                await self._hooks.handle(self, envelope, now)
            except RejectedError as exc:
                self.reject(RelayRejected(exc.reason, str(exc), exc.fatal))
                if exc.fatal:
                    return

    async def _writer(self) -> None:
        while True:
            if not self._outbox:
                if self._closing is not None:
                    await self._finish_close(*self._closing)
                    return
                await self._writer_lot.park()
                continue
            batch = self._take_batch()
            size = sum(len(data) for data in batch)
            try:
                with trio.move_on_after(self._settings.slow_receiver_timeout) as timer:
                    await self._send_batch(batch)
            except ConnectionClosed:
                self._stop()
                return
            finally:
                self._outbox_bytes -= size
                self._metrics.queued(-size, self._outbox_bytes)
                self._space_lot.unpark_all()
            if timer.cancelled_caught:
                await self._drop_stuck_receiver()
                return

    def _take_batch(self) -> list[bytes]:
        batch = [self._outbox.popleft()]
        size = len(batch[0])
        while self._outbox and size + len(self._outbox[0]) <= WRITE_BATCH_BYTES:
            size += len(self._outbox[0])
            batch.append(self._outbox.popleft())
        return batch

    async def _send_batch(self, batch: list[bytes]) -> None:
        if len(batch) == 1 or self._gather is None:
            for data in batch:
                await self._ws.send_message(data)
            return
        self._gather.gather()
        try:
            for data in batch[:-1]:
                await self._ws.send_message(data)
            self._gather.flush_on_next_write()
            await self._ws.send_message(batch[-1])
        finally:
            # Only reached with bytes still gathered if a send failed or was
            # cancelled; the connection is being dropped then anyway.
            self._gather.discard_gathered()

    async def _drop_stuck_receiver(self) -> None:
        # A frame may be half written, so no clean close is possible: cut the
        # TCP connection. This also unblocks every sender waiting on us.
        self._metrics.reject("slow-receiver")
        logger.info(
            "%s (%s): dropped, took over %s s to accept a message",
            self,
            self.address,
            self._settings.slow_receiver_timeout,
        )
        self.gone = True
        self._drop_outbox()
        self._space_lot.unpark_all()
        self._hooks.left(self)
        await trio.aclose_forcefully(self._raw_stream)
        self._stop()

    async def _finish_close(self, code: int, reason: str) -> None:
        with trio.move_on_after(self._settings.close_timeout):
            await self._ws.aclose(code, reason)
        self._stop()

    async def _keepalive(self) -> None:
        while True:
            with trio.CancelScope(deadline=self.liveness.next_deadline()) as self._alarm:
                await trio.sleep_forever()
            self._alarm = None
            match self.liveness.poll(trio.current_time()):
                case LivenessAction.SEND_PING:
                    assert self._nursery is not None
                    self._nursery.start_soon(self._ping)
                case LivenessAction.HANDSHAKE_EXPIRED:
                    self.reject(
                        RelayRejected(
                            "handshake-timeout",
                            f"no CreateRoom or JoinRoom within {self._settings.handshake_timeout}"
                            " s of connecting",
                            True,
                        )
                    )
                    return
                case LivenessAction.IDLE_EXPIRED:
                    self.reject(
                        RelayRejected(
                            "idle-timeout",
                            f"nothing heard for {self._settings.idle_timeout} s",
                            True,
                        )
                    )
                    return
                case LivenessAction.NOTHING:
                    pass

    async def _ping(self) -> None:
        try:
            await self._ws.ping(next(self._ping_ids).to_bytes(8, "big"))
        except ConnectionClosed:
            return
        self.liveness.heard(trio.current_time())

    def pause_reading(self) -> None:
        """The reader is waiting on a full receiver: silence is not the peer's fault."""
        self.liveness.pause()

    def resume_reading(self, now: float) -> None:
        self.liveness.resume(now)
        self._reschedule()

    def _reschedule(self) -> None:
        if self._alarm is not None:
            self._alarm.deadline = self.liveness.next_deadline()

    def _drop_outbox(self) -> None:
        dropped = sum(len(d) for d in self._outbox)
        self._outbox.clear()
        self._outbox_bytes -= dropped
        self._metrics.queued(-dropped, self._outbox_bytes)

    def _stop(self) -> None:
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()
