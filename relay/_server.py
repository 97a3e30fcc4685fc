"""The relay's front door: TCP in, HTTP answered or upgraded to a WebSocket.

Theory of operation
-------------------
:func:`serve_relay` owns the TCP listeners, the router (``relay._router``)
and its clock. It accepts on the plain listening sockets itself and gives
each connection one task, which owns the socket from accept to close. All
connection tasks (and the few writer tasks of endpoints whose sockets are
full) live in one nursery under one *shielded* cancel scope, the guard, so
a failure or a cancellation elsewhere never reaches them by surprise.
Shutting down is explicit instead: every endpoint is told to close with
1001, connections still in their HTTP request are cancelled, and the guard
gets a deadline, so the whole shutdown stays bounded in time.

A handler reads the request head within ``handshake_timeout``, then checks
the connection limits (all connections, then per client address). Plain
``GET`` requests are answered by ``relay._http``; an upgrade to
``/s/<room>`` becomes an :class:`~relay._endpoint.Endpoint`, run by the same
task. Nothing a client does can raise out of its handler: anything
unexpected is logged with its traceback and the relay keeps serving.

A connection costs its task and little else, since a relay's connections
are mostly idle: there is no per-connection stream object, cancel scope
or writer task while nothing is queued (see ``relay._outbox``).
"""

from __future__ import annotations

import errno
import logging
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import trio

from codec import RelayRejected, is_valid_room_id
from relay import _socket
from relay._endpoint import Endpoint, EndpointHooks
from relay._http import (
    HttpError,
    plain_response,
    read_request_head,
    render_response,
    upgrade_response,
)
from relay._memory import return_free_memory
from relay._metrics import RelayMetrics
from relay._outbox import Flusher
from relay._poller import open_poller
from relay._quotas import AddressQuota
from relay._router import Router
from relay._websocket import CloseCode

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from relay._http import RequestHead
    from relay._settings import RelaySettings

__all__ = ["Relay", "RunningRelay", "serve_relay"]

logger = logging.getLogger("helpline.relay")

#: One read of the relay takes at most this much; the buffer is shared by all
#: connections (reads are handled to the end before the next one starts).
#: Reading is cheap next to sending (about a fourteenth of the time per byte
#: on loopback), so only sends are cut into slices per turn (relay._outbox).
RECEIVE_BUFFER_BYTES = 256 * 1024

#: accept() errors that mean "no room for one more now", not a broken listener.
ACCEPT_CAPACITY_ERRNOS = frozenset(
    {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS, errno.ECONNABORTED}
)
ACCEPT_RETRY_SECONDS = 0.1

#: After this many connections have ended, free heap pages go back to the
#: system (a trim costs about a millisecond; see relay._memory).
TRIM_AFTER_CLOSES = 100


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
    #: Until the upgrade: what shutting down cancels (an endpoint is closed instead).
    scope: trio.CancelScope | None = field(default_factory=trio.CancelScope)
    endpoint: Endpoint | None = None


class Relay:
    """The handler for each TCP connection, and the relay-wide limits on them.

    Also what every endpoint shares (``relay._endpoint.EndpointContext``).
    """

    def __init__(self, settings: RelaySettings) -> None:
        self.settings = settings
        self.metrics = RelayMetrics()
        self.router = Router(settings, self.metrics)
        self.budget = self.router.budget
        self.hooks: EndpointHooks = self.router
        self.flusher = Flusher()
        self.poller = open_poller()
        self.scratch = bytearray(RECEIVE_BUFFER_BYTES)
        self._per_address = AddressQuota(settings.max_connections_per_address)
        self._connections: set[_Connection] = set()
        # Shielded: at shutdown endpoints must still send their 1001 close;
        # shutdown() bounds it in time instead.
        self._guard = trio.CancelScope(shield=True)
        self._nursery: trio.Nursery | None = None
        self._shutting_down = False
        self._closed_since_trim = 0

    def spawn(self, task: Callable[[], Awaitable[None]]) -> None:
        assert self._nursery is not None
        self._nursery.start_soon(task)

    async def run_connections(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Own every connection's task (and the flusher) until shut down and all are gone."""
        with self._guard:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self.flusher.run)
                if self.poller is not None:
                    nursery.start_soon(self.poller.run)
                task_status.started()

    async def accept_loop(self, listener: socket.socket) -> NoReturn:
        """Accept connections on *listener* forever, each served in its own task."""
        while True:
            try:
                sock, _ = listener.accept()
            except BlockingIOError:
                await trio.lowlevel.wait_readable(listener)
                continue
            except OSError as exc:
                if exc.errno not in ACCEPT_CAPACITY_ERRNOS:
                    raise
                # Out of descriptors or memory: the connections there are
                # will close some; meanwhile new ones wait in the backlog.
                logger.error("cannot accept a connection (%s); retrying", exc)
                await trio.sleep(ACCEPT_RETRY_SECONDS)
                continue
            if self._nursery is None or self._nursery.cancel_scope.cancel_called:
                sock.close()
                continue
            # A constant name: by default trio makes a new string per task.
            self._nursery.start_soon(self.handle_connection, sock, name="relay connection")

    async def handle_connection(self, sock: socket.socket) -> None:
        # From here on the relay drives the socket itself (see relay._socket).
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Left to autotuning, the kernel grows a stalled receiver's send buffer
        # to megabytes the relay's own budget never sees.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.settings.send_buffer_bytes)
        self.metrics.connections_open += 1
        self.metrics.connections_total += 1
        connection = _Connection()
        self._connections.add(connection)
        try:
            # Inline, not a helper: every frame on an idle connection's stack
            # is a few hundred bytes, times every connection.
            if not self._shutting_down:
                assert connection.scope is not None
                with connection.scope:
                    admitted = await self._front_door(sock, connection)
                connection.scope = None
                if admitted is not None:
                    endpoint, rest, address = admitted
                    try:
                        await endpoint.run(rest)
                    finally:
                        self._per_address.give_back(address)
        except Exception:
            logger.exception("error serving a connection (the relay keeps serving)")
        finally:
            self._connections.discard(connection)
            self.metrics.connections_open -= 1
            self._closed_since_trim += 1
            if self._closed_since_trim >= TRIM_AFTER_CLOSES:
                self._closed_since_trim = 0
                return_free_memory()
            if connection.endpoint is not None and connection.endpoint.aborted:
                _socket.abort(sock)
            else:
                _socket.close(sock)
            if self._shutting_down and not self._connections:
                self._all_closed()

    def shutdown(self) -> None:
        """Close every connection: 1001 for endpoints, within a bounded time."""
        self._shutting_down = True
        self._guard.deadline = trio.current_time() + 2 * self.settings.close_timeout
        going_away = RelayRejected(
            "shutting-down", "the relay is shutting down; reconnect to continue", True
        )
        for connection in list(self._connections):
            if connection.endpoint is None:
                if connection.scope is not None:
                    connection.scope.cancel()
            else:
                connection.endpoint.close(CloseCode.GOING_AWAY, going_away)
        self.flusher.flush()
        if not self._connections:
            self._all_closed()

    def _all_closed(self) -> None:
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()  # the flusher, and writers of gone endpoints

    async def _front_door(
        self, sock: socket.socket, connection: _Connection
    ) -> tuple[Endpoint, bytes, str] | None:
        """The HTTP part: answer the request, or upgrade it to an endpoint.

        An endpoint holds its address's connection quota until it is gone.
        """
        opened_at = trio.current_time()
        address = str(sock.getpeername()[0])
        head, rest = await self._read_head(sock, opened_at)
        if head is None:
            return None
        if self.settings.trust_forwarded_for:
            # A proxy appends the address it saw, so only the last entry is
            # not the client's own say-so.
            forwarded = head.headers.get("x-forwarded-for", "").split(",")[-1].strip()
            address = forwarded or address
        if self.metrics.connections_open > self.settings.max_connections:
            self.metrics.reject("too-many-connections")
            await self._respond(sock, render_response(503, b"the relay is full; retry later\n"))
            return None
        if not self._per_address.take(address):
            self.metrics.reject("too-many-connections-from-address")
            await self._respond(
                sock,
                render_response(
                    429, b"too many connections from your address; close some and retry\n"
                ),
            )
            return None
        endpoint = None
        try:
            endpoint = await self._dispatch(sock, connection, head, address, opened_at)
        finally:
            if endpoint is None:
                self._per_address.give_back(address)
        # An endpoint lives long: what it keeps holds no request headers.
        return None if endpoint is None else (endpoint, rest, address)

    async def _read_head(
        self, sock: socket.socket, opened_at: float
    ) -> tuple[RequestHead | None, bytes]:
        """The request head and what followed it; None if there is none to act on."""
        with trio.move_on_at(opened_at + self.settings.handshake_timeout) as timer:
            try:
                return await read_request_head(sock)
            except EOFError:
                return None, b""
            except HttpError as exc:
                await self._respond(sock, _error_response(exc))
                return None, b""
        if timer.cancelled_caught:
            self.metrics.reject("handshake-timeout")
        return None, b""

    async def _dispatch(
        self,
        sock: socket.socket,
        connection: _Connection,
        head: RequestHead,
        address: str,
        opened_at: float,
    ) -> Endpoint | None:
        """Answer a plain request (None), or upgrade to the endpoint the caller runs."""
        if not head.is_websocket_upgrade:
            trusted = self.settings.trust_forwarded_for
            answer = plain_response(head, self._metrics_text, trust_forwarded=trusted)
            await self._respond(sock, answer)
            return None
        room_id = _room_from_path(head.path)
        if room_id is None:
            await self._respond(
                sock, render_response(404, b"no such page; rooms live at /s/<room>\n")
            )
            return None
        try:
            accept = upgrade_response(head)
        except HttpError as exc:
            await self._respond(sock, _error_response(exc))
            return None
        with trio.move_on_at(opened_at + self.settings.handshake_timeout):
            if not await _socket.send_all(sock, accept):
                return None
        if self._shutting_down:
            return None
        endpoint = Endpoint(
            sock, room_id=room_id, address=address, opened_at=opened_at, context=self
        )
        connection.endpoint = endpoint
        self.router.schedule(endpoint)
        return endpoint

    async def _respond(self, sock: socket.socket, response: bytes) -> None:
        """Send a whole HTTP response, then close without losing it."""
        with trio.move_on_after(self.settings.close_timeout):
            if not await _socket.send_all(sock, response):
                return
        _socket.send_eof(sock)
        await _socket.linger(sock, self.settings.close_timeout)

    def _metrics_text(self) -> str:
        self.metrics.rooms_open = len(self.router)
        return self.metrics.render()


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
    # The relay accepts on the plain sockets, as it reads and writes them.
    sockets = [socket.socket(fileno=listener.socket.detach()) for listener in listeners]
    relay = Relay(settings)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(relay.run_connections)
            try:
                nursery.start_soon(relay.router.run_clock)
                for sock in sockets:
                    sock.setblocking(False)
                    nursery.start_soon(relay.accept_loop, sock)
                logger.info("relay listening on %s port %s", host, port)
                task_status.started(RunningRelay(str(host), int(port), relay.metrics))
                await trio.sleep_forever()
            finally:
                relay.shutdown()
    finally:
        for sock in sockets:
            _socket.close(sock)
    raise AssertionError("unreachable: sleep_forever returned")  # pragma: no cover


def _error_response(exc: HttpError) -> bytes:
    extra = {"Sec-WebSocket-Version": "13"} if exc.status == 426 else None
    return render_response(exc.status, f"{exc}\n".encode(), extra_headers=extra)


def _room_from_path(path: str) -> str | None:
    prefix, _, room = path.partition("/s/")
    if prefix or not is_valid_room_id(room):
        return None
    return room
