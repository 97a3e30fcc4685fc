"""The peer's client WebSocket: trio-websocket's, with a short way for large messages.

trio-websocket hands every received byte to wsproto, which copies a 1 MiB
file chunk four times on its way in (appended to its buffer, sliced out in
parts as they arrive, the buffer compacted behind them, the parts joined)
and walks it through a generator per part. :class:`BulkWebSocket` keeps all
of trio-websocket (handshake, message queue, pings, close handshake, send
lock, errors) and changes only where a data frame's bytes go. Once the
opening handshake is over and wsproto holds no partial frame, its reader
reads frame headers itself, and an unfragmented binary message is read from
the socket straight into one buffer of its own: that buffer is the message
(a ``bytearray``, which the peer then decrypts in place). Ping, pong and
close frames are handed to wsproto whole, so it still answers pings and
runs the close handshake; any other frame (text, fragments, reserved bits,
a mask from a server) makes the reader give all it holds to wsproto and go
on as trio-websocket's own, which refuses what is wrong as it always did.

Sending, :meth:`BulkWebSocket.send_parts` frames and masks several buffers
(an envelope's header and a sealed payload) into one frame in a single
pass, instead of joining them first and masking the join.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import sys
from typing import TYPE_CHECKING, Any

import trio
import trio_websocket
from trio_websocket._impl import CloseReason, ConnectionClosed
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import RemoteProtocolError

from peer._ws_masking import masked_frame

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

__all__ = ["SCRATCH_BYTES", "BulkWebSocket", "wrap_bulk_client_stream"]

#: Headers, control frames and small messages are read through a buffer this big.
SCRATCH_BYTES = 64 * 1024
_BINARY = 0x2
_CONTROL = frozenset((0x8, 0x9, 0xA))
_FIN_BINARY = 0x80 | _BINARY
_ABNORMAL = 1006
#: While a large message's body arrives, the reader is woken once this much of
#: it is there (or all that is left of it) rather than per segment: a 3 MiB
#: file chunk otherwise woke it some 17 times, each a turn of the scheduler.
BODY_WAKE_BYTES = 1024 * 1024
#: Frames from this size on are written by a worker thread, which waits for
#: room in the socket's send buffer in C: trio woke the sending task for each
#: of the dozen or so writes a 3 MiB file chunk took.
PUSH_BYTES = 256 * 1024
#: How often a worker thread waiting for room looks whether its task was cancelled.
_PUSH_CHECK_MS = 100
_CAN_PUSH = sys.platform != "win32" and hasattr(select, "poll")
#: Linux honours SO_RCVLOWAT in epoll and raises the receive buffer to fit it.
_HAS_LOWAT = sys.platform.startswith("linux") and hasattr(socket, "SO_RCVLOWAT")


class BulkWebSocket(trio_websocket.WebSocketConnection):
    async def send_parts(self, *parts: bytes | bytearray | memoryview) -> None:
        """Send one binary message made of *parts*, joined only in the masked frame."""
        if self._close_reason:
            raise ConnectionClosed(self._close_reason)
        if self._wsproto.state is not ConnectionState.OPEN:
            raise ConnectionClosed(CloseReason(_ABNORMAL, "the connection is closing"))
        frame = masked_frame(_FIN_BINARY, parts)
        async with self._stream_lock:
            try:
                if len(frame) >= PUSH_BYTES and self._push_fd() >= 0:
                    await trio.to_thread.run_sync(_push, self._push_fd(), frame)
                else:
                    await self._stream.send_all(frame)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                await self._abort_web_socket()
                assert self._close_reason is not None
                raise ConnectionClosed(self._close_reason) from None

    def _push_fd(self) -> int:
        """The socket's descriptor if a worker thread may write large frames to it, else -1."""
        if not _CAN_PUSH or not isinstance(self._stream, trio.SocketStream):
            return -1
        return self._stream.socket.fileno()

    async def _reader_task(self) -> None:
        """trio-websocket's reader, taking binary messages the short way when it can."""
        handlers: dict[type, Callable[[Any], Coroutine[Any, Any, None]]] = {
            AcceptConnection: self._handle_accept_connection_event,
            BytesMessage: self._handle_message_event,
            CloseConnection: self._handle_close_connection_event,
            Ping: self._handle_ping_event,
            Pong: self._handle_pong_event,
            RejectConnection: self._handle_reject_connection_event,
            RejectData: self._handle_reject_data_event,
            Request: self._handle_request_event,
            TextMessage: self._handle_message_event,
        }
        if self._initial_request:
            try:
                await self._send(self._initial_request)
            except ConnectionClosed:
                self._reader_running = False
        bulk = _Input(self._stream)
        async with self._send_channel:
            while self._reader_running:
                await self._dispatch(handlers)
                data: bytes | bytearray | None
                if bulk.usable and self._wsproto_idle():
                    data = await self._read_bulk(bulk, handlers)
                    if data is None:
                        break
                    bulk.usable = False  # a frame it does not take: wsproto's from here on
                else:
                    try:
                        data = await self._stream.receive_some(self._receive_buffer_size)
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        await self._abort_web_socket()
                        break
                    if not data:
                        await self._closed_by_peer()
                        break
                await self._feed(data)

    async def _read_bulk(
        self, bulk: _Input, handlers: dict[type, Callable[[Any], Coroutine[Any, Any, None]]]
    ) -> bytes | None:
        """Read frames until one is not for this path, or the connection is closing:
        then the bytes held, for wsproto; None when the reader is to stop."""
        try:
            while self._reader_running and self._wsproto.state is ConnectionState.OPEN:
                if not await bulk.need(2):
                    await self._closed_by_peer()
                    return None
                first, second = bulk.peek(2)
                opcode, length = first & 0x0F, second & 0x7F
                head = 2 + {126: 2, 127: 8}.get(length, 0)
                if second & 0x80 or (first != _FIN_BINARY and opcode not in _CONTROL):
                    return bulk.rest()  # a mask, reserved bits, text, fragments: wsproto's
                if not await bulk.need(head):
                    await self._closed_by_peer()
                    return None
                if length == 126:
                    (length,) = struct.unpack("!H", bulk.peek(4)[2:])
                elif length == 127:
                    (length,) = struct.unpack("!Q", bulk.peek(10)[2:])
                if opcode in _CONTROL:
                    if length > 125 or not first & 0x80:
                        return bulk.rest()
                    if not await bulk.need(head + length):
                        await self._closed_by_peer()
                        return None
                    await self._feed(bulk.take(head + length))
                    await self._dispatch(handlers)
                    continue
                if length > self._max_message_size:
                    await self._too_big()
                    return None
                bulk.skip(head)
                message = await bulk.read_message(length)
                if message is None:
                    await self._closed_by_peer()
                    return None
                # Nobody reading any more is no error (as in trio-websocket's handler).
                with contextlib.suppress(trio.ClosedResourceError, trio.BrokenResourceError):
                    # A bytearray where trio-websocket says bytes: the peer decrypts it in place.
                    await self._send_channel.send(message)  # type: ignore[arg-type]
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            await self._abort_web_socket()
            return None
        return bulk.rest()

    async def _dispatch(
        self, handlers: dict[type, Callable[[Any], Coroutine[Any, Any, None]]]
    ) -> None:
        for event in self._wsproto.events():
            handler = handlers.get(type(event))
            if handler is None:
                continue
            try:
                await handler(event)
            except ConnectionClosed:
                self._reader_running = False
                break

    async def _feed(self, data: bytes | bytearray) -> None:
        if not data or self._wsproto.state == ConnectionState.CLOSED:
            return
        try:
            self._wsproto.receive_data(data)  # type: ignore[arg-type]  # it takes any buffer
        except RemoteProtocolError as err:
            if err.event_hint:
                await self._send(err.event_hint)
            await self._close_stream()

    async def _closed_by_peer(self) -> None:
        # TCP closed before the WebSocket did: an abnormal closure.
        if self._wsproto.state != ConnectionState.CLOSED:
            await self._abort_web_socket()

    async def _too_big(self) -> None:
        """As trio-websocket does with a message over its limit: close with 1009."""
        err = f"Exceeded maximum message size: {self._max_message_size} bytes"
        self._close_reason = CloseReason(1009, err)
        await self._send(CloseConnection(code=1009, reason=err))
        await self._recv_channel.aclose()
        self._reader_running = False

    def _wsproto_idle(self) -> bool:
        """Open, and wsproto holds no part of a frame or of a fragmented message."""
        if self._wsproto.state is not ConnectionState.OPEN:
            return False
        try:
            proto = self._wsproto.connection._proto  # type: ignore[union-attr]
            decoder = proto._frame_decoder
            return (
                decoder.header is None
                and not len(decoder.buffer)
                and (proto._message_decoder.opcode is None)
            )
        except AttributeError:  # another wsproto: stay on its path
            return False


def _push(fd: int, frame: memoryview) -> None:
    """Write all of *frame* to the socket *fd* (run in a worker thread).

    The socket stays non-blocking, as trio needs it: a full send buffer is
    waited out with poll, here, and the cancellation of the task that
    waits for this thread is looked at while it lasts. A frame cancelled
    half sent ends the connection (the session resumes on a new one)
    rather than leave the relay a garbled stream. The descriptor is
    duplicated so that, should trio close the socket meanwhile, the bytes
    still go to this connection and not to whatever reuses its number.
    """
    own = os.dup(fd)
    at, size = 0, len(frame)
    try:
        poller = select.poll()
        poller.register(own, select.POLLOUT)
        while at < size:
            try:
                at += os.write(own, frame[at:])
            except BlockingIOError:
                if not poller.poll(_PUSH_CHECK_MS):
                    trio.from_thread.check_cancelled()
            except OSError as e:
                raise trio.BrokenResourceError from e
    except trio.Cancelled:
        if at:
            with socket.socket(fileno=os.dup(own)) as whole:
                whole.shutdown(socket.SHUT_RDWR)
        raise
    finally:
        os.close(own)


class _Input:
    """Bytes off the stream: headers through a small buffer, messages into their own."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self._stream = stream
        # A plain socket reads straight into a message; TLS gives bytes to copy in.
        self._socket = stream.socket if isinstance(stream, trio.SocketStream) else None
        self._buf = bytearray(SCRATCH_BYTES)
        self._start = self._end = 0
        self.usable = True
        self._wake_bytes = 1 if _HAS_LOWAT else -1

    def peek(self, n: int) -> bytes:
        return bytes(self._buf[self._start : self._start + n])

    def take(self, n: int) -> bytes:
        data = self.peek(n)
        self._start += n
        return data

    def skip(self, n: int) -> None:
        self._start += n

    def rest(self) -> bytes:
        data = bytes(self._buf[self._start : self._end])
        self._start = self._end = 0
        return data

    async def need(self, n: int) -> bool:
        """At least *n* (at most SCRATCH_BYTES) bytes held; False at the end of the stream."""
        if self._start + n > len(self._buf):
            held = self._end - self._start
            self._buf[:held] = self._buf[self._start : self._end]
            self._start, self._end = 0, held
        while self._end - self._start < n:
            got = await self._receive_into(memoryview(self._buf)[self._end :])
            if not got:
                return False
            self._end += got
        return True

    async def read_message(self, size: int) -> bytes | bytearray | None:
        """The next *size* bytes: a slice of the buffer if held, else read into their own."""
        held = self._end - self._start
        if size <= held:
            return self.take(size)
        message = bytearray(size)
        with memoryview(message) as view:
            view[:held] = self._buf[self._start : self._end]
            self._start = self._end = 0
            at = held
            try:
                while at < size:
                    self._wake_at(min(size - at, BODY_WAKE_BYTES))
                    got = await self._receive_into(view[at:])
                    if not got:
                        return None
                    at += got
            finally:
                self._wake_at(1)
        return message

    def _wake_at(self, n: int) -> None:
        """Be woken only once *n* bytes are there to read (never more than are due)."""
        if n == self._wake_bytes or self._wake_bytes < 0 or self._socket is None:
            return
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, n)
        except OSError:
            self._wake_bytes = -1  # refused: wake on every byte, as before
        else:
            self._wake_bytes = n

    async def _receive_into(self, view: memoryview) -> int:
        if self._socket is None:
            data = await self._stream.receive_some(len(view))
            view[: len(data)] = data
            return len(data)
        try:
            return await self._socket.recv_into(view)
        except OSError as e:
            if self._socket.fileno() == -1:
                raise trio.ClosedResourceError from None
            raise trio.BrokenResourceError from e


async def wrap_bulk_client_stream(
    nursery: trio.Nursery,
    stream: trio.SocketStream | trio.SSLStream[trio.SocketStream],
    host: str,
    resource: str,
    *,
    max_message_size: int,
    receive_buffer_size: int,
) -> BulkWebSocket:
    """trio-websocket's ``wrap_client_stream``, making a :class:`BulkWebSocket`."""
    connection = BulkWebSocket(
        stream,
        WSConnection(ConnectionType.CLIENT),
        host=host,
        path=resource,
        max_message_size=max_message_size,
        receive_buffer_size=receive_buffer_size,
    )
    nursery.start_soon(connection._reader_task)
    await connection._open_handshake.wait()
    return connection
