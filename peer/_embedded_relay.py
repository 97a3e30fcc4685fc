"""A relay of our own, for ``helpline start`` with no relay configured.

It runs as a child process (``python -m relay``): peer never imports relay,
and a crash in either cannot take the other down silently.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from peer._errors import RelayUnreachableError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["open_embedded_relay"]

READY_PREFIX = "Relay listening on "
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


@asynccontextmanager
async def open_embedded_relay(host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Start a relay on this machine; yield its ``ws://`` address; stop it after."""
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "relay", "--host", host, "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        with trio.move_on_after(STARTUP_TIMEOUT):
            line = await _read_line(process.stdout)
            if line.startswith(READY_PREFIX):
                yield line[len(READY_PREFIX) :].strip()
                return
        raise RelayUnreachableError(
            "the built-in relay did not start; run helpline-relay to see why"
        )
    finally:
        with trio.CancelScope(shield=True):
            process.terminate()
            with trio.move_on_after(STOP_TIMEOUT) as scope:
                await process.wait()
            if scope.cancelled_caught:
                process.kill()
                await process.wait()


async def _read_line(stream: trio.abc.ReceiveStream) -> str:
    data = b""
    while not data.endswith(b"\n") and len(data) < 4096:
        chunk = await stream.receive_some(1)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")
