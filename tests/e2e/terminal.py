"""A program on a pseudo-terminal, and the screen a person would see.

The program's stdin, stdout and stderr are the slave side of a real pty
(80x24); what it writes goes through a terminal emulator (pyte), so a test
reads the screen, not the escape sequences that drew it. Keys are bytes
written to the master side, as a terminal sends them.
"""

from __future__ import annotations

import os
import pty
import re
import termios
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pyte
import trio

from peer._console import python_command

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

COLUMNS, ROWS = 80, 24
WAIT = 15.0

ENTER = b"\r"
TAB = b"\t"
LEFT = b"\x1b[D"
UP = b"\x1b[A"
CTRL_C = b"\x03"


class _Screen(pyte.Screen):
    """A screen that answers the terminal's own reports (cursor position), as xterm does."""

    def __init__(self, master: int) -> None:
        super().__init__(COLUMNS, ROWS)
        self._master = master

    def write_process_input(self, data: str) -> None:
        os.write(self._master, data.encode())


class Terminal:
    def __init__(self, process: trio.Process, master: int) -> None:
        self.process = process
        self.master = master
        self.screen = _Screen(master)
        self._stream = pyte.ByteStream(self.screen)
        self._changed = trio.Event()

    async def pump(self) -> None:
        while True:
            try:
                await trio.lowlevel.wait_readable(self.master)
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the program closed its side
                return
            if not chunk:
                return
            self._stream.feed(chunk)
            self._changed.set()
            self._changed = trio.Event()

    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    def cursor_row(self) -> str:
        return self.rows()[self.screen.cursor.y]

    async def press(self, keys: bytes) -> None:
        """Send *keys* whole: the pty takes a few KiB at a time, as the program reads."""
        view = memoryview(keys)
        while view:
            await trio.lowlevel.wait_writable(self.master)
            try:
                view = view[os.write(self.master, view) :]
            except BlockingIOError:
                continue

    async def type(self, text: str) -> None:
        await self.press(text.encode())

    async def wait_for(self, pattern: str, within: float = WAIT) -> str:
        """The first screen row matching *pattern*, waiting for it to appear."""
        regex = re.compile(pattern)
        with trio.move_on_after(within):
            while True:
                for row in self.rows():
                    if regex.search(row):
                        return row
                await self._changed.wait()
        shown = "\n  ".join(self.rows())
        raise AssertionError(f"the screen never showed /{pattern}/; it shows:\n  {shown}")

    async def wait_for_all(self, *patterns: str, within: float = WAIT) -> list[str]:
        """The screen's rows once one screenful shows every pattern at once."""
        regexes = [re.compile(p) for p in patterns]
        with trio.move_on_after(within):
            while True:
                rows = self.rows()
                if all(any(r.search(row) for row in rows) for r in regexes):
                    return rows
                await self._changed.wait()
        shown = "\n  ".join(self.rows())
        raise AssertionError(f"the screen never showed all of {patterns}; it shows:\n  {shown}")

    async def wait_for_prompt(self) -> None:
        """Wait until the prompt is up: keys typed before it would reach a line-mode tty."""
        await self.wait_for(r"^>( |$)")

    async def wait_exit(self, within: float = WAIT) -> int:
        with trio.fail_after(within):
            return await self.process.wait()

    def line_mode_restored(self) -> bool:
        """Whether the pty is back in the line-by-line, echoing mode a shell expects."""
        lflag = termios.tcgetattr(self.master)[3]
        return bool(lflag & termios.ICANON and lflag & termios.ECHO)


@asynccontextmanager
async def open_terminal(
    *args: str, env: dict[str, str], module: str = "peer"
) -> AsyncIterator[Terminal]:
    """Run ``python -m MODULE *args`` (Helpline itself by default) on a fresh pty; kill it after."""
    master, slave = pty.openpty()
    termios.tcsetwinsize(slave, (ROWS, COLUMNS))
    os.set_blocking(master, False)
    try:
        process = await trio.lowlevel.open_process(
            python_command(module, *args),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            env={**os.environ, "TERM": "xterm", "PYTHONUNBUFFERED": "1", **env},
        )
    finally:
        os.close(slave)
    term = Terminal(process, master)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(term.pump)
            try:
                yield term
            finally:
                nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.kill()
            await process.wait()
        os.close(master)
