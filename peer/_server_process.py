"""Servers run as child processes that announce their ``ws://`` address.

``helpline start`` with no relay configured runs one (``python -m relay``):
peer never imports relay, and a crash in either cannot take the other down
silently. Tests and benchmarks start relays the same way.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from peer._errors import RelayUnreachableError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

__all__ = ["open_embedded_relay", "open_server_process", "read_line", "stop_process"]

STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_MAX_LINE = 4096


@asynccontextmanager
async def open_server_process(
    argv: Sequence[str], *, quiet: bool = False, tie_stdin: bool = False
) -> AsyncIterator[tuple[trio.Process, str]]:
    """Start *argv*, whose first stdout line ends with its ``ws://`` address.

    Yields the process and that address; on the way out the process gets
    SIGTERM, then SIGKILL if it has not exited within a few seconds.
    *quiet* sends its stderr (its log) to /dev/null instead of ours.
    *tie_stdin* gives it a pipe as stdin that only this process holds, so a
    child that exits at end of input ends with us even when we are killed.
    """
    process = await trio.lowlevel.open_process(
        list(argv),
        stdin=subprocess.PIPE if tie_stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    try:
        assert process.stdout is not None
        line = ""
        with trio.move_on_after(STARTUP_TIMEOUT):
            line = await read_line(process.stdout)
        if "ws://" not in line:
            raise RelayUnreachableError(
                f"{' '.join(argv[:3])} did not start (it printed {line[:200]!r}); "
                "run it by hand to see why"
            )
        yield process, "ws://" + line.strip().rsplit("ws://", 1)[1]
    finally:
        await stop_process(process)


async def stop_process(process: trio.Process) -> None:
    """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT; pipes closed."""
    with trio.CancelScope(shield=True):
        if process.returncode is None:
            process.terminate()
        with trio.move_on_after(STOP_TIMEOUT):
            await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()
        if process.stdout is not None:
            await process.stdout.aclose()
        if process.stdin is not None:
            await process.stdin.aclose()


@asynccontextmanager
async def open_embedded_relay(host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """A relay on this machine for one ``helpline start``; yields its address."""
    argv = [sys.executable, "-m", "relay", "--host", host, "--port", str(port), "--exit-with-stdin"]
    async with open_server_process(argv, quiet=True, tie_stdin=True) as (_, url):
        yield url


async def read_line(stream: trio.abc.ReceiveStream) -> str:
    """One line of a child's stdout (at most _MAX_LINE bytes; less at end of output)."""
    data = b""
    while not data.endswith(b"\n") and len(data) < _MAX_LINE:
        chunk = await stream.receive_some(1)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")
