"""The peer's one WebSocket to the relay, speaking relay envelopes.

Everything trio-websocket and the network can raise is translated here,
once, into :mod:`peer._errors`, each cause in its own sentence that says
what to do; nothing above this module sees a ``ConnectionClosed``, an
``OSError`` or a ``DisconnectionTimeout``.

The connection also knows which of its frames the relay has certainly read:
after each burst of sends it pings, and a pong proves that everything sent
before the ping reached the relay (it reads a connection in order). A face
can then tell its person which typed lines were not delivered when the
relay stops answering. While bulk data streams either way (a file moving
out, or in: the receiver's acknowledgements are bursts of sends too),
pings go out at most every BUSY_PING_GAP: a ping per burst cost a
transfer a fifth of its CPU, on the peers and on the relay. Otherwise
(a typed line) the ping goes at once.
"""

from __future__ import annotations

import errno
import logging
import math
import socket
import ssl
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import trio
import trio_websocket

from codec import (
    DEFAULT_LIMITS,
    ClientEnvelope,
    CreateRoom,
    HandOver,
    JoinRoom,
    Kick,
    Limits,
    ProtocolError,
    RelayEnvelope,
    RelayRejected,
    Welcome,
    decode_relay_envelope,
    encode_envelope,
    encode_send_head,
    relay_says,
)
from peer._errors import ConnectionLostError, RelayRefusedError, RelayUnreachableError
from peer._nursery import open_task_nursery
from peer._ws_bulk import BulkWebSocket, wrap_bulk_client_stream
from peer._ws_masking import install as install_fast_masking

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = [
    "RELAY_TIMEOUT",
    "RelayConnection",
    "check_relay",
    "connect_failure",
    "open_relay_connection",
    "room_url",
]

# wsproto's own mask costs as much CPU as the encryption on a file transfer.
install_fast_masking()

log = logging.getLogger("helpline.peer")

#: Reads wsproto parses (the handshake, and whatever peer._ws_bulk leaves to
#: it): trio-websocket's 4 KiB default halved throughput when all went there.
RECEIVE_BUFFER = 1024 * 1024
#: How long the relay may leave a ping unanswered before we call it lost
#: (the ``relay_timeout`` setting); connecting may take half of it.
RELAY_TIMEOUT = 20.0
CONNECT_SHARE = 0.5
#: Pings go out this share of RELAY_TIMEOUT after the last one when nothing is sent.
PING_SHARE = 0.75
#: Pings after more than BULK_BYTES sent or received are at least this far apart (seconds).
BUSY_PING_GAP = 0.05
BULK_BYTES = 64 * 1024
#: Close handshake budget when leaving; after that the socket is just dropped.
CLOSE_TIMEOUT = 2.0


def check_relay(relay: str) -> None:
    """Refuse, before anything starts or connects, an address that cannot be a relay's.

    The relay's web page is at ``http://HOST:PORT`` and its relay address is
    the same with ``ws://`` (``wss://`` for ``https://``): a person who
    copied the page's address is told the one to use.
    """
    parts = urlsplit(relay)
    if parts.scheme in ("ws", "wss") and parts.netloc:
        return
    if parts.scheme in ("http", "https") and parts.netloc:
        ws = urlunsplit(("ws" + parts.scheme[4:], parts.netloc, parts.path.rstrip("/"), "", ""))
        raise RelayUnreachableError(f"{relay!r} is a web address, not a relay address; try {ws}")
    raise RelayUnreachableError(
        f"{relay!r} is not a relay address; it looks like ws://HOST:PORT or wss://HOST"
    )


def room_url(relay: str, room: str) -> str:
    """``ws://host:port[/prefix]`` + ``/s/<room>``: the relay's room address."""
    check_relay(relay)
    parts = urlsplit(relay)
    path = parts.path.rstrip("/") + f"/s/{room}"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class RelayConnection:
    def __init__(
        self,
        ws: BulkWebSocket,
        welcome: Welcome,
        limits: Limits,
        relay_timeout: float = RELAY_TIMEOUT,
    ) -> None:
        self._ws = ws
        self.welcome = welcome
        self._limits = limits
        self.relay_timeout = relay_timeout
        #: The relay's address and the room, for coming back to it after a drop.
        self.relay = ""
        self.room = ""
        #: Data frames handed to the socket, and how many of them the relay has read.
        self.sent = 0
        self.confirmed = 0
        self._sent_something = trio.Event()
        self._moved_bytes = 0  # sent and received

    @property
    def id(self) -> int:
        return self.welcome.id

    async def send(self, to: int, payload: bytes | bytearray) -> None:
        # The envelope's header and the payload go into the frame as they are.
        try:
            await self._ws.send_parts(encode_send_head(to, len(payload)), payload)
        except trio_websocket.ConnectionClosed as e:
            raise ConnectionLostError(_closed_reason(e)) from None
        except trio.BrokenResourceError:
            raise ConnectionLostError(_BROKEN) from None
        self.sent += 1
        self._moved_bytes += len(payload)
        self._sent_something.set()

    async def kick(self, endpoint: int) -> None:
        await self._send(Kick(endpoint))

    async def hand_over(self, endpoint: int) -> None:
        """Ask the relay to welcome later joiners with *endpoint* as the host (SPEC M5)."""
        await self._send(HandOver(endpoint))

    async def keep_alive(self) -> None:
        """Ping after each burst of sends, and now and then; a silent relay is lost.

        The relay pings us too, but only we can notice that *it* went silent
        (a machine that vanished, or a frozen process, sends no FIN).
        """
        pinged, pinged_bytes = -math.inf, 0
        while True:
            with trio.move_on_after(self.relay_timeout * PING_SHARE):
                await self._sent_something.wait()
            if self._moved_bytes - pinged_bytes > BULK_BYTES:
                await trio.sleep_until(pinged + BUSY_PING_GAP)
            pinged, pinged_bytes = trio.current_time(), self._moved_bytes
            self._sent_something = trio.Event()
            upto = self.sent
            with trio.move_on_after(self.relay_timeout) as scope:
                try:
                    await self._ws.ping()
                except trio_websocket.ConnectionClosed as e:
                    raise ConnectionLostError(_closed_reason(e)) from None
                except trio.BrokenResourceError:
                    raise ConnectionLostError(_BROKEN) from None
            if scope.cancelled_caught:
                raise ConnectionLostError(
                    f"the relay stopped answering (no reply in {self.relay_timeout:g} s)"
                )
            self.confirmed = max(self.confirmed, upto)

    async def receive(self) -> RelayEnvelope:
        """The next envelope from the relay; a garbled one is skipped and logged."""
        while True:
            try:
                data = await self._ws.get_message()
            except trio_websocket.ConnectionClosed as e:
                raise ConnectionLostError(_closed_reason(e)) from None
            self._moved_bytes += len(data)
            if isinstance(data, str):
                log.warning("relay sent a text message; ignored")
                continue
            try:
                return decode_relay_envelope(data, self._limits)
            except ProtocolError as e:
                log.warning("relay sent a malformed envelope (%s); ignored", e)

    async def _send(self, env: ClientEnvelope) -> None:
        try:
            await self._ws.send_message(encode_envelope(env))
        except trio_websocket.ConnectionClosed as e:
            raise ConnectionLostError(_closed_reason(e)) from None
        except trio.BrokenResourceError:
            raise ConnectionLostError(_BROKEN) from None


@asynccontextmanager
async def open_relay_connection(
    relay: str,
    room: str,
    *,
    create: bool,
    limits: Limits = DEFAULT_LIMITS,
    relay_timeout: float = RELAY_TIMEOUT,
    endpoint_id: int | None = None,
    floor: int = 0,
    token: bytes | None = None,
    probe: bool = True,
    connect_within: float | None = None,
) -> AsyncIterator[RelayConnection]:
    """Connect to *room* on *relay*, create or join it, and wait for the welcome.

    Coming back after a drop, *endpoint_id* asks for the id we had, with the
    rejoin *token* our first welcome gave us (and a host re-creating its room
    keeps ids below *floor* for its members);
    without *probe*, a time-out is not looked into (a reconnect tries again
    soon instead). *connect_within* shortens the connect time-out.
    """
    url = room_url(relay, room)
    connect_timeout = relay_timeout * CONNECT_SHARE
    if connect_within is not None:
        connect_timeout = min(connect_timeout, connect_within)
    failure: BaseException | None = None
    yielded = False
    # trio-websocket turns a TLS failure or a server speaking something else
    # into a wait that can outlast its own connect timeout: bound it all here.
    deadline = trio.current_time() + connect_timeout + CLOSE_TIMEOUT
    with trio.CancelScope(deadline=deadline) as connecting:
        try:
            async with _open_websocket(url, limits, connect_timeout) as ws:
                hello: ClientEnvelope = (
                    CreateRoom(endpoint_id, floor, token)
                    if create
                    else JoinRoom(endpoint_id, token)
                )
                conn = await _greet(ws, relay, hello, limits=limits, relay_timeout=relay_timeout)
                conn.relay, conn.room = relay, room
                connecting.deadline = math.inf
                yielded = True
                yield conn
        except (OSError, trio_websocket.HandshakeError, trio.BrokenResourceError) as e:
            if yielded:
                raise
            failure = e
    if not yielded:
        reason = failure or trio_websocket.ConnectionTimeout()
        if not probe:
            raise RelayUnreachableError(connect_failure(relay, reason, connect_timeout))
        raise RelayUnreachableError(await _explain(relay, reason, connect_timeout))


@asynccontextmanager
async def _open_websocket(
    url: str, limits: Limits, connect_timeout: float
) -> AsyncIterator[BulkWebSocket]:
    """A client WebSocket on a stream of our own, closed however the block ends.

    trio-websocket's own client leaves its TCP stream open when the server
    closes first (a relay that died, or one that went away mid-handshake):
    a session that reconnects would leak a socket per attempt. Here the
    stream is ours, and the close handshake gets CLOSE_TIMEOUT at most.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    stream: trio.abc.Stream
    try:
        with trio.fail_after(connect_timeout):
            if parts.scheme == "wss":
                stream = await trio.open_ssl_over_tcp_stream(
                    host, port, ssl_context=ssl.create_default_context(), https_compatible=True
                )
            else:
                stream = await trio.open_tcp_stream(host, port)
    except trio.TooSlowError:
        raise trio_websocket.ConnectionTimeout from None
    try:
        async with open_task_nursery() as nursery:
            try:
                with trio.fail_after(connect_timeout):
                    ws = await wrap_bulk_client_stream(
                        nursery,
                        stream,
                        parts.netloc,
                        parts.path,
                        max_message_size=limits.max_envelope_bytes,
                        receive_buffer_size=RECEIVE_BUFFER,
                    )
            except trio.TooSlowError:
                raise trio_websocket.ConnectionTimeout from None
            try:
                yield ws
            finally:
                with trio.CancelScope(shield=True) as closing:
                    closing.deadline = trio.current_time() + CLOSE_TIMEOUT
                    await ws.aclose()
                if closing.cancelled_caught:
                    log.info("the relay did not answer our goodbye; connection dropped")
                nursery.cancel_scope.cancel()
    finally:
        await trio.aclose_forcefully(stream)


async def _greet(
    ws: BulkWebSocket,
    relay: str,
    hello: ClientEnvelope,
    limits: Limits,
    relay_timeout: float,
) -> RelayConnection:
    probe = RelayConnection(ws, Welcome(0, 0, ()), limits)
    first: RelayEnvelope | None = None
    with trio.move_on_after(relay_timeout * CONNECT_SHARE):
        await probe._send(hello)
        first = await probe.receive()
    if isinstance(first, RelayRejected):
        # The relay's own words could pose as ours: a fixed text, or attributed.
        raise RelayRefusedError(relay_says(first.reason, first.message), reason=first.reason)
    if not isinstance(first, Welcome):
        raise RelayUnreachableError(
            f"{relay} accepted a WebSocket but did not greet us as a Helpline relay does; "
            "check the address (the rep's program prints it)"
        )
    return RelayConnection(ws, first, limits, relay_timeout)


_BROKEN = "the connection to the relay broke: the relay stopped, or the network dropped"
_CLOSED = {
    1000: "the relay closed the connection",
    1001: "the relay is shutting down",
    1006: _BROKEN,
    1008: "the relay closed the connection: we broke one of its rules",
    1009: "the relay closed the connection: a message was too large for it",
    1011: "the relay closed the connection after an internal error",
}


def _closed_reason(e: trio_websocket.ConnectionClosed) -> str:
    # The relay's own close text is not shown: it is untrusted, and the code says enough.
    code = e.reason.code if e.reason is not None else 1006
    return _CLOSED.get(code, f"the relay closed the connection (WebSocket code {code})")


async def _explain(relay: str, failure: BaseException, waited: float) -> str:
    """The sentence for a failed connect; a time-out is looked into once more."""
    if isinstance(_root_cause(failure), trio_websocket.ConnectionTimeout):
        found = None
        with trio.move_on_after(waited):
            found = await _probe(relay, waited)
        if found is not None:
            return found
    return connect_failure(relay, failure, waited)


async def _probe(relay: str, waited: float) -> str | None:
    """Open TCP (and TLS) by hand and ask for ``/``: say what answers, if anything does."""
    parts = urlsplit(relay)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "wss" else 80)
    if parts.scheme == "wss":
        try:
            with trio.move_on_after(waited / 2):
                stream = await trio.open_ssl_over_tcp_stream(
                    host, port, ssl_context=ssl.create_default_context()
                )
                try:
                    await stream.do_handshake()
                finally:
                    await trio.aclose_forcefully(stream)
                return None  # TLS works; whatever failed came after it
        except trio.BrokenResourceError as e:  # trio's SSLStream wraps the ssl error
            return connect_failure(relay, e.__cause__ or e, waited)
        except OSError as e:
            return connect_failure(relay, e, waited)
    first = b""
    with trio.move_on_after(waited / 2):
        first = await _first_bytes(host, port)
    if first.startswith(b"HTTP/") and parts.scheme == "wss":
        plain = urlunsplit(("ws", parts.netloc, parts.path, "", ""))
        return f"{relay} answers without TLS; its address is {plain} (ws://, not wss://)"
    if first and not first.startswith(b"HTTP/"):
        return (
            f"{relay} does not speak HTTP, so it is not a Helpline relay; "
            "check the address and the port"
        )
    return None


async def _first_bytes(host: str, port: int) -> bytes:
    """What a server at *host*:*port* answers a plain ``GET /`` with (b"" if nothing)."""
    try:
        async with await trio.open_tcp_stream(host, port) as stream:
            request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            await stream.send_all(request.encode())
            return bytes(await stream.receive_some(16))
    except (OSError, trio.BrokenResourceError):
        return b""


def _root_cause(e: BaseException) -> BaseException:
    """The most specific error under *e*: trio-websocket and trio wrap the OS's.

    ``HandshakeError`` wraps an ``OSError("all attempts to connect ... failed")``,
    whose cause is a group of one error per address tried.
    """
    for _ in range(8):
        inner: BaseException | None = e.__cause__
        if isinstance(e, BaseExceptionGroup) and e.exceptions:
            inner = e.exceptions[0]
        if inner is None:
            return e
        e = inner
    return e


def connect_failure(relay: str, e: BaseException, waited: float) -> str:
    """Why no WebSocket to *relay* could be opened, and what to do, in one sentence."""
    cause = _root_cause(e)
    host = urlsplit(relay).hostname or relay
    if isinstance(cause, trio_websocket.ConnectionTimeout | trio.TooSlowError):
        return (
            f"the relay at {relay} did not answer within {waited:g} s; check the "
            "address, and that no firewall stands between this machine and the relay"
        )
    if isinstance(cause, trio_websocket.ConnectionRejected):
        return (
            f"{relay} answered, but not as a Helpline relay (HTTP {cause.status_code}); check "
            "the address (a relay behind TLS starts with wss://)"
        )
    if isinstance(cause, ConnectionRefusedError):
        return (
            f"nothing is listening at {relay} (connection refused); check the port, "
            "and that the relay is running"
        )
    if isinstance(cause, socket.gaierror):
        if cause.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            return f"there is no host called {host!r}; check the relay address"
        return (
            f"cannot look up the host {host!r} ({cause.strerror}); "
            "check this machine's network connection"
        )
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (
            f"the relay at {relay} failed the TLS certificate check ({cause.verify_message}); "
            "check the address: someone may be intercepting the connection"
        )
    if isinstance(cause, ssl.SSLError):
        return (
            f"TLS with {relay} failed ({cause.reason or cause.strerror}); if that relay does "
            "not use TLS, its address starts with ws:// rather than wss://"
        )
    if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"cannot reach {relay}: {cause.strerror}; check this machine's network connection"
    if isinstance(cause, OSError) and cause.strerror:
        return f"cannot reach the relay at {relay}: {cause.strerror}"
    return f"cannot reach the relay at {relay} ({type(cause).__name__}); check the address"
