"""Where typed lines come from: a line-editing prompt in a terminal, plain lines otherwise.

When stdin and stdout are a terminal, :mod:`peer._prompt` gives line
editing, history and Tab completion, and whatever the program prints while
a line is being typed appears *above* that line instead of inside it.

Anywhere else (a pipe, a file, ``/dev/null``: scripts and tests) lines are
read from stdin exactly as they come, one per line, and nothing is drawn.
Each line carries the time its bytes arrived: lines that came in one read
came together, however long the program took to act on the first.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

import trio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

__all__ = ["LineInput", "open_line_input"]


class LineInput(Protocol):
    #: True when a person types at a terminal (and may be asked to confirm).
    interactive: bool
    #: When the line :meth:`read_line` returned last arrived (trio's clock): a
    #: line that came before a question was shown does not answer it.
    arrived: float

    async def read_line(self) -> str | None:
        """The next line without its newline; None at end of input."""
        ...


class _Stdin:
    """Stdin's lines, each with the time its bytes were read (one per process)."""

    def __init__(self) -> None:
        self.lines: deque[tuple[str, float]] = deque()
        self.rest = b""
        self.ended = False

    async def next(self) -> tuple[str, float] | None:
        while not self.lines and not self.ended:
            # A thread, not an FdStream: stdin may be a file or /dev/null, which epoll refuses.
            data = await trio.to_thread.run_sync(
                os.read, sys.stdin.fileno(), 65536, abandon_on_cancel=True
            )
            now = trio.current_time()
            if not data:
                self.ended = True
                data = b"\n" if self.rest else b""  # a last line without its newline
            *lines, self.rest = (self.rest + data).split(b"\n")
            self.lines.extend((line.decode(errors="replace").rstrip("\r"), now) for line in lines)
        return self.lines.popleft() if self.lines else None


_STDIN = _Stdin()


class PlainInput:
    interactive = False
    arrived = 0.0

    async def read_line(self) -> str | None:
        got = await _STDIN.next()
        if got is None:
            return None
        line, self.arrived = got
        return line


def stdin_is_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@asynccontextmanager
async def open_line_input(
    commands: Sequence[str], names: Callable[[], Sequence[str]]
) -> AsyncIterator[LineInput]:
    """A prompt when a person sits at a terminal, plain stdin lines otherwise."""
    if not stdin_is_a_terminal():
        yield PlainInput()
        return
    # prompt_toolkit is loaded only for a person at a terminal: scripts start faster.
    from peer._prompt import PromptInput

    prompt = PromptInput(commands, names)
    prompt.start()
    try:
        yield prompt
    finally:
        with trio.CancelScope(shield=True):
            await prompt.stop()
