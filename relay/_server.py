"""The relay's front door: TCP in, HTTP answered or upgraded to a WebSocket.

Theory of operation
-------------------
:func:`serve_relay` owns the TCP listeners, the router (``relay._router``)
and its clock. Each accepted connection gets one handler task, which owns
the socket from accept to close; its body runs inside its own *shielded*
cancel scope (its guard), so a failure or a cancellation elsewhere never
reaches it by surprise. Shutting down is explicit instead: every endpoint is
told to close with 1001 and the guards get a deadline, so the whole shutdown
stays bounded in time.

A handler reads the request head within ``handshake_timeout``, then checks
the connection limits (all connections, then per client address). Plain
``GET`` requests are answered by ``relay._http``; an upgrade to
``/s/<room>`` becomes an :class:`~relay._endpoint.Endpoint`, whose writer
task runs in the relay's nursery. Nothing a client does can raise out of
its handler: anything unexpected is logged with its traceback and the relay
keeps serving.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, NoReturn

import trio

from codec import RelayRejected, is_valid_room_id
from relay import _socket
from relay._endpoint import Endpoint
from relay._http import (
    HttpError,
    plain_response,
    read_request_head,
    render_response,
    upgrade_response,
)
from relay._memory import return_free_memory
from relay._metrics import RelayMetrics
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
RECEIVE_BUFFER_BYTES = 256 * 1024

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
    guard: trio.CancelScope
    endpoint: Endpoint | None = None


class Relay:
    """The handler for each TCP connection, and the relay-wide limits on them."""

    def __init__(self, settings: RelaySettings, nursery: trio.Nursery) -> None:
        self.settings = settings
        self.metrics = RelayMetrics()
        self.router = Router(settings, self.metrics)
        self._nursery = nursery
        self._scratch = bytearray(RECEIVE_BUFFER_BYTES)
        self._per_address = AddressQuota(settings.max_connections_per_address)
        self._connections: set[_Connection] = set()
        self._shutting_down = False
        self._closed_since_trim = 0

    def spawn(self, task: Callable[[], Awaitable[None]]) -> None:
        self._nursery.start_soon(task)

    async def handle_connection(self, stream: trio.SocketStream) -> None:
        # From here on the relay drives the socket itself (see relay._socket).
        sock = socket.socket(fileno=stream.socket.detach())
        sock.setblocking(False)
        # Left to autotuning, the kernel grows a stalled receiver's send buffer
        # to megabytes the relay's own budget never sees.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.settings.send_buffer_bytes)
        self.metrics.connections_open += 1
        self.metrics.connections_total += 1
        connection = _Connection(trio.CancelScope(shield=True))
        self._connections.add(connection)
        try:
            with connection.guard:
                if not self._shutting_down:
                    await self._serve_connection(sock, connection)
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

    async def _serve_connection(self, sock: socket.socket, connection: _Connection) -> None:
        opened_at = trio.current_time()
        address = str(sock.getpeername()[0])
        with trio.move_on_at(opened_at + self.settings.handshake_timeout) as timer:
            try:
                head, rest = await read_request_head(sock)
            except EOFError:
                return
            except HttpError as exc:
                await self._respond(sock, _error_response(exc))
                return
        if timer.cancelled_caught:
            self.metrics.reject("handshake-timeout")
            return
        if self.settings.trust_forwarded_for:
            # A proxy appends the address it saw, so only the last entry is
            # not the client's own say-so.
            forwarded = head.headers.get("x-forwarded-for", "").split(",")[-1].strip()
            address = forwarded or address
        if self.metrics.connections_open > self.settings.max_connections:
            self.metrics.reject("too-many-connections")
            await self._respond(sock, render_response(503, b"the relay is full; retry later\n"))
            return
        if not self._per_address.take(address):
            self.metrics.reject("too-many-connections-from-address")
            await self._respond(
                sock,
                render_response(
                    429, b"too many connections from your address; close some and retry\n"
                ),
            )
            return
        try:
            endpoint = await self._dispatch(sock, connection, head, address, opened_at)
            if endpoint is not None:
                # An endpoint lives long: its frame keeps no request headers.
                del head, timer
                await endpoint.run(self.spawn, rest)
        finally:
            self._per_address.give_back(address)

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
            await self._respond(sock, plain_response(head, self._metrics_text))
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
        endpoint = Endpoint(
            sock,
            room_id=room_id,
            address=address,
            opened_at=opened_at,
            settings=self.settings,
            metrics=self.metrics,
            budget=self.router.budget,
            hooks=self.router,
            scratch=self._scratch,
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
    async with trio.open_nursery() as nursery:
        relay = Relay(settings, nursery)
        try:
            nursery.start_soon(relay.router.run_clock)
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


def _error_response(exc: HttpError) -> bytes:
    extra = {"Sec-WebSocket-Version": "13"} if exc.status == 426 else None
    return render_response(exc.status, f"{exc}\n".encode(), extra_headers=extra)


def _room_from_path(path: str) -> str | None:
    prefix, _, room = path.partition("/s/")
    if prefix or not is_valid_room_id(room):
        return None
    return room
