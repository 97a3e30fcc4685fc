"""Driving a Helpline program through its stdin and stdout, as a person would.

The demo uses it to show a session end to end, and the end-to-end tests use
it to check exactly what a person sees. Every wait has a time limit.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from peer._errors import PeerError
from peer._nursery import open_task_nursery

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

__all__ = ["Console", "ConsoleError", "open_console", "python_command"]

DEFAULT_WAIT = 15.0


class ConsoleError(PeerError):
    """A driven program did not print what was expected in time (its output is attached)."""


class Console:
    def __init__(self, label: str, process: trio.Process, echo: Callable[[str, str], None]) -> None:
        self.label = label
        self.process = process
        self.lines: list[str] = []
        self._cursor = 0
        self._echo = echo
        self._changed = trio.Event()
        self.eof = False

    async def pump(self, stream: trio.abc.ReceiveStream) -> None:
        buffer = b""
        while chunk := await stream.receive_some(65536):
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for raw in complete:
                self._add(raw.decode(errors="replace"))
        if buffer:
            self._add(buffer.decode(errors="replace"))
        self.eof = True
        self._wake()

    def _add(self, line: str) -> None:
        self.lines.append(line)
        self._echo(self.label, line)
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def expect(self, pattern: str, within: float = DEFAULT_WAIT) -> re.Match[str]:
        """Wait for the next line matching *pattern*; lines before it are passed over."""
        regex = re.compile(pattern)
        with trio.move_on_after(within):
            while True:
                while self._cursor < len(self.lines):
                    line = self.lines[self._cursor]
                    self._cursor += 1
                    if match := regex.search(line):
                        return match
                if self.eof:
                    break
                await self._changed.wait()
        shown = "\n  ".join(self.lines[-20:])
        raise ConsoleError(f"{self.label} never printed /{pattern}/; its output:\n  {shown}")

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send_all(line.encode() + b"\n")

    async def close_input(self) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.aclose()

    async def wait_exit(self, within: float = DEFAULT_WAIT) -> int:
        with trio.move_on_after(within):
            return await self.process.wait()
        raise ConsoleError(f"{self.label} did not exit within {within} s")

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)


def python_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


@asynccontextmanager
async def open_console(
    label: str,
    argv: Sequence[str],
    *,
    echo: Callable[[str, str], None] | None = None,
    env: dict[str, str] | None = None,
    stderr_to_stdout: bool = True,
) -> AsyncIterator[Console]:
    """Start *argv*; read its output in the background; kill it on the way out."""
    process = await trio.lowlevel.open_process(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if stderr_to_stdout else subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    console = Console(label, process, echo or (lambda _label, _line: None))
    try:
        async with open_task_nursery() as nursery:
            assert process.stdout is not None
            nursery.start_soon(console.pump, process.stdout)
            try:
                yield console
            finally:
                nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.kill()
            await process.wait()
