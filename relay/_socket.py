"""The relay's TCP sockets: non-blocking standard sockets waited on through trio.

The relay drives its sockets itself (``trio.lowlevel.wait_readable`` and
``wait_writable`` around plain non-blocking calls) so that a read goes
straight into one shared buffer, a batch of queued messages leaves in one
``sendmsg`` without being joined first, and nothing else ever reads the
socket behind the relay's back. Each function here is a bounded wait only
when its caller puts it under a deadline, as every caller does.
"""

from __future__ import annotations

import contextlib
import socket
import struct

import trio

__all__ = ["abort", "close", "linger", "recv_some", "send_all", "send_eof"]

#: While lingering before a close, stop once the client has been quiet this
#: long: it has finished sending whatever we refused.
LINGER_QUIET_SECONDS = 0.1


async def recv_some(sock: socket.socket, max_bytes: int) -> bytes:
    """Bytes from *sock* (b"" at end of stream or after a reset)."""
    while True:
        try:
            return sock.recv(max_bytes)
        except BlockingIOError:
            await trio.lowlevel.wait_readable(sock)
        except OSError:
            return b""


async def send_all(sock: socket.socket, data: bytes) -> bool:
    """Send all of *data*; False if the connection broke first."""
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            await trio.lowlevel.wait_writable(sock)
            continue
        except OSError:
            return False
        view = view[sent:]
    return True


def send_eof(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


async def linger(sock: socket.socket, seconds: float, chunk: int = 65536) -> None:
    """Read and discard until the client is done or quiet, at most *seconds*.

    Closing a socket with unread input makes the kernel send a reset, which
    can destroy our last words (an HTTP response, a close frame) before the
    client reads them.
    """
    with trio.move_on_after(seconds):
        while True:
            with trio.move_on_after(LINGER_QUIET_SECONDS):
                if not await recv_some(sock, chunk):
                    return
                continue
            return


def close(sock: socket.socket) -> None:
    if sock.fileno() >= 0:
        trio.lowlevel.notify_closing(sock)
    sock.close()


def abort(sock: socket.socket) -> None:
    """Close with a reset: for a peer we give up on mid-frame."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    close(sock)
