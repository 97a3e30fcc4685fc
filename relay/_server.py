"""The relay server: TCP in, HTTP or WebSocket out, rooms in the middle.

Theory of operation
-------------------
:func:`serve_relay` owns the TCP listeners. Each accepted connection gets one
handler task whose body runs inside its own *shielded* cancel scope (its
guard): a failure or a cancellation elsewhere never reaches it by surprise.
Shutting down is explicit instead: the server tells every endpoint to close
with 1001 and gives the guards a deadline, so connections end cleanly and
the whole shutdown stays bounded in time.

A handler reads the HTTP request head. Plain ``GET`` requests are answered
here (health, metrics, the join page); a WebSocket upgrade to ``/s/<room>``
is handed to trio-websocket and served by an :class:`~relay._endpoint.Endpoint`,
which calls back into :class:`Relay` for everything that touches rooms.

Nothing a client does can raise out of its handler: disconnects are expected
and logged at debug level, anything else is logged with its traceback and
the relay keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, NoReturn

import trio
import trio_websocket

from codec import (
    ClientEnvelope,
    CreateRoom,
    Delivered,
    JoinRoom,
    Kick,
    MemberJoined,
    MemberLeft,
    RelayRejected,
    Send,
    Welcome,
    encode_envelope,
    is_valid_room_id,
)
from relay._endpoint import CloseCode, Endpoint
from relay._errors import AlreadyJoinedError, NotJoinedError, RateLimitedError
from relay._http import (
    HttpError,
    ReplayStream,
    plain_response,
    read_request_head,
    render_response,
)
from relay._metrics import RelayMetrics
from relay._ratelimit import JoinRateLimiter
from relay._rooms import Departure, Rooms

if TYPE_CHECKING:
    from relay._settings import RelaySettings

__all__ = ["Relay", "RunningRelay", "serve_relay"]

logger = logging.getLogger("helpline.relay")

#: trio-websocket reads 4 KiB at a time by default, which halves throughput
#: for large screen updates; 256 KiB lets one read carry a whole typical frame.
RECEIVE_BUFFER_BYTES = 256 * 1024

#: While lingering after a 1009 close, stop once the client has been quiet
#: this long: it has finished sending what we refused.
LINGER_QUIET_SECONDS = 0.1

_DISCONNECTS = (
    trio.BrokenResourceError,
    trio.ClosedResourceError,
    trio_websocket.ConnectionClosed,
    trio_websocket.HandshakeError,
    EOFError,
    OSError,
)


@dataclass(frozen=True, slots=True)
class RunningRelay:
    """What :func:`serve_relay` reports once it is listening."""

    host: str
    port: int
    metrics: RelayMetrics

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"


@dataclass(slots=True, eq=False)
class _Connection:
    guard: trio.CancelScope
    endpoint: Endpoint | None = None


class Relay:
    """Rooms, limits and metrics, and the handler for each TCP connection."""

    def __init__(self, settings: RelaySettings) -> None:
        self.settings = settings
        self.metrics = RelayMetrics()
        self._rooms: Rooms[Endpoint] = Rooms(
            max_rooms=settings.max_rooms,
            max_endpoints_per_room=settings.max_endpoints_per_room,
        )
        self._limiter = JoinRateLimiter(settings.joins_per_minute)
        self._connections: set[_Connection] = set()
        self._shutting_down = False

    # -- connections --------------------------------------------------------

    async def handle_connection(self, stream: trio.SocketStream) -> None:
        self.metrics.connections_open += 1
        self.metrics.connections_total += 1
        connection = _Connection(trio.CancelScope(shield=True))
        self._connections.add(connection)
        try:
            with connection.guard:
                if not self._shutting_down:
                    await self._serve_connection(stream, connection)
        except Exception as exc:
            if _is_disconnect(exc):
                logger.debug("connection ended: %r", exc)
            else:
                logger.exception("error serving a connection (the relay keeps serving)")
        finally:
            self._connections.discard(connection)
            self.metrics.connections_open -= 1
            await trio.aclose_forcefully(stream)

    def shutdown(self) -> None:
        """Close every connection: 1001 for endpoints, within a bounded time."""
        self._shutting_down = True
        deadline = trio.current_time() + 2 * self.settings.close_timeout
        going_away = RelayRejected(
            "shutting-down", "the relay is shutting down; reconnect to continue", True
        )
        for connection in list(self._connections):
            connection.guard.deadline = min(connection.guard.deadline, deadline)
            if connection.endpoint is None:
                connection.guard.cancel()
            else:
                connection.endpoint.close(CloseCode.GOING_AWAY, going_away)

    async def _serve_connection(self, stream: trio.SocketStream, connection: _Connection) -> None:
        opened_at = trio.current_time()
        address = str(stream.socket.getpeername()[0])
        with trio.move_on_at(opened_at + self.settings.handshake_timeout) as timer:
            try:
                head, received = await read_request_head(stream)
            except HttpError as exc:
                await self._respond(stream, render_response(exc.status, f"{exc}\n".encode()))
                return
            if self.metrics.connections_open > self.settings.max_connections:
                self.metrics.reject("too-many-connections")
                await self._respond(
                    stream, render_response(503, b"the relay is full; retry later\n")
                )
                return
            if not head.is_websocket_upgrade:
                await self._respond(stream, plain_response(head, self._metrics_text))
                return
        if timer.cancelled_caught:
            self.metrics.reject("handshake-timeout")
            return
        if self.settings.trust_forwarded_for:
            # A proxy appends the address it saw, so only the last entry is
            # not the client's own say-so.
            forwarded = head.headers.get("x-forwarded-for", "").split(",")[-1].strip()
            address = forwarded or address
        room_id = _room_from_path(head.path)
        if room_id is None:
            await self._respond(
                stream, render_response(404, b"no such page; rooms live at /s/<room>\n")
            )
            return
        if head.headers.get("sec-websocket-version") != "13" or not head.headers.get(
            "sec-websocket-key"
        ):
            await self._respond(
                stream,
                render_response(
                    426,
                    b"WebSocket version 13 required\n",
                    extra_headers={"Sec-WebSocket-Version": "13"},
                ),
            )
            return
        await self._serve_websocket(stream, received, connection, room_id, address, opened_at)

    async def _serve_websocket(
        self,
        stream: trio.SocketStream,
        received: bytes,
        connection: _Connection,
        room_id: str,
        address: str,
        opened_at: float,
    ) -> None:
        ws: trio_websocket.WebSocketConnection | None = None
        async with trio.open_nursery() as ws_nursery:
            try:
                with trio.move_on_at(opened_at + self.settings.handshake_timeout):
                    replay = ReplayStream(stream, received)
                    request = await trio_websocket.wrap_server_stream(
                        ws_nursery,
                        replay,
                        message_queue_size=1,
                        max_message_size=self.settings.max_message_bytes,
                        receive_buffer_size=RECEIVE_BUFFER_BYTES,
                    )
                    ws = await request.accept()
                if ws is None:
                    self.metrics.reject("handshake-timeout")
                    return
                endpoint = Endpoint(
                    ws,
                    stream,
                    gather=replay,
                    room_id=room_id,
                    address=address,
                    opened_at=opened_at,
                    settings=self.settings,
                    metrics=self.metrics,
                    hooks=self,
                )
                connection.endpoint = endpoint
                await endpoint.run()
                if ws.closed is not None and ws.closed.code == CloseCode.MESSAGE_TOO_BIG:
                    await self._linger(stream)
            finally:
                if ws is not None and ws.closed is None:
                    with trio.CancelScope(shield=True) as scope:
                        scope.deadline = trio.current_time() + self.settings.close_timeout
                        await ws.aclose(CloseCode.INTERNAL_ERROR, "relay error")
                ws_nursery.cancel_scope.cancel()

    async def _respond(self, stream: trio.SocketStream, response: bytes) -> None:
        """Send a whole HTTP response, then close without losing it."""
        await stream.send_all(response)
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            await stream.send_eof()
        await self._linger(stream)

    async def _linger(self, stream: trio.SocketStream) -> None:
        # Closing a socket with unread input makes the kernel send a reset,
        # which can destroy our last words (an HTTP response, a 1009 close
        # frame) before the client reads them. So read and discard whatever
        # is still arriving (a refused message, say) until the client is
        # done or quiet, within a bounded time.
        with trio.move_on_after(self.settings.close_timeout):
            while True:
                with trio.move_on_after(LINGER_QUIET_SECONDS):
                    if not await stream.receive_some(RECEIVE_BUFFER_BYTES):
                        return  # the client closed its side: done
                    continue  # more input: keep discarding
                return  # quiet for a moment: nothing unread is left to reset

    def _metrics_text(self) -> str:
        self.metrics.rooms_open = len(self._rooms)
        return self.metrics.render()

    # -- rooms (EndpointHooks) ----------------------------------------------

    async def handle(self, endpoint: Endpoint, envelope: ClientEnvelope, now: float) -> None:
        if endpoint.id is None:
            self._enter(endpoint, envelope, now)
            return
        match envelope:
            case Send(to, payload):
                target = self._rooms.member(endpoint.room_id, to)
                data = encode_envelope(Delivered(endpoint.id, payload))
                if not target.has_room_for(len(data)):
                    endpoint.pause_reading()
                    try:
                        await target.wait_for_room(len(data))
                    finally:
                        endpoint.resume_reading(trio.current_time())
                if not target.gone:
                    target.enqueue(data)
                    self.metrics.forwarded(len(payload))
            case Kick(victim_id):
                victim = self._rooms.kick(endpoint.room_id, endpoint.id, victim_id)
                victim.reject(RelayRejected("kicked", "removed by the session host", True))
            case CreateRoom() | JoinRoom():
                raise AlreadyJoinedError(f"you are already in session {endpoint.room_id}")

    def _enter(self, endpoint: Endpoint, envelope: ClientEnvelope, now: float) -> None:
        match envelope:
            case CreateRoom():
                endpoint_id = self._rooms.create(endpoint.room_id, endpoint, now)
                endpoint.joined(endpoint_id, now)
                endpoint.send_envelope(Welcome(endpoint_id, endpoint_id, ()))
                logger.info("room %s opened by %s", endpoint.room_id, endpoint.address)
            case JoinRoom():
                if not self._limiter.allow(endpoint.address, now):
                    wait = self._limiter.retry_after(endpoint.address, now)
                    raise RateLimitedError(
                        f"too many join attempts from your address; try again in {wait:.0f} s"
                    )
                endpoint_id, room = self._rooms.join(endpoint.room_id, endpoint)
                endpoint.joined(endpoint_id, now)
                present = tuple(i for i in room.members if i != endpoint_id)
                endpoint.send_envelope(Welcome(endpoint_id, room.host, present))
                notice = encode_envelope(MemberJoined(endpoint_id))
                for other in room.others(endpoint_id):
                    other.enqueue(notice)
                logger.info("%s joined from %s", endpoint, endpoint.address)
            case _:
                raise NotJoinedError("send CreateRoom or JoinRoom first")
        self.metrics.endpoints_open += 1
        self.metrics.rooms_open = len(self._rooms)

    def left(self, endpoint: Endpoint) -> None:
        if not endpoint.in_room or endpoint.id is None:
            return
        endpoint.in_room = False
        departure = self._rooms.leave(endpoint.room_id, endpoint.id, trio.current_time())
        if departure is not None:
            self._announce(departure)
        self.metrics.endpoints_open -= 1
        self.metrics.rooms_open = len(self._rooms)

    def _announce(self, departure: Departure[Endpoint]) -> None:
        notice = encode_envelope(MemberLeft(departure.id))
        for other in departure.remaining:
            other.enqueue(notice)
        logger.info("endpoint %s left room %s", departure.id, departure.room)
        if departure.closed_after is not None:
            logger.info("room %s closed after %.0f s", departure.room, departure.closed_after)


async def serve_relay(
    settings: RelaySettings,
    *,
    task_status: trio.TaskStatus[RunningRelay] = trio.TASK_STATUS_IGNORED,
) -> NoReturn:
    """Serve the relay on ``settings.host:settings.port`` until cancelled.

    Reports a :class:`RunningRelay` (the real port when ``port`` is 0) through
    *task_status*. When cancelled, closes every connection with 1001 within
    ``2 * settings.close_timeout`` before returning the cancellation. Raises
    ``OSError`` if it cannot listen.
    """
    listeners = await trio.open_tcp_listeners(settings.port, host=settings.host)
    if settings.port == 0 and len(listeners) > 1:
        # Each address family would get its own free port; keep one so the
        # relay has a single address to print.
        for extra in listeners[1:]:
            await extra.aclose()
        listeners = listeners[:1]
    host, port = listeners[0].socket.getsockname()[:2]
    relay = Relay(settings)
    async with trio.open_nursery() as nursery:
        try:
            await nursery.start(
                partial(
                    trio.serve_listeners,
                    relay.handle_connection,
                    listeners,
                    handler_nursery=nursery,
                )
            )
            logger.info("relay listening on %s port %s", host, port)
            task_status.started(RunningRelay(str(host), int(port), relay.metrics))
            await trio.sleep_forever()
        finally:
            relay.shutdown()
    raise AssertionError("unreachable: sleep_forever returned")  # pragma: no cover


def _room_from_path(path: str) -> str | None:
    prefix, _, room = path.partition("/s/")
    if prefix or not is_valid_room_id(room):
        return None
    return room


def _is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_disconnect(e) for e in exc.exceptions)
    return isinstance(exc, _DISCONNECTS)
