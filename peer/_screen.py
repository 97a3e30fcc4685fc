"""The one writer to the terminal: printed lines scroll above the live transfer bars.

Two writers to one terminal garble it. A progress bar that redraws itself
with carriage returns and erase sequences lands in the middle of a line
printed at the same moment, and its escape sequences, sent through
prompt_toolkit's stdout proxy (which shows escapes rather than obeying
them), appear as ``?[2K`` on screen. So every line the command line prints
and every bar goes through :data:`SCREEN`, and only it writes:

* stdout is not a terminal: lines as they come and no bars (the plain
  progress lines say how far transfers are);
* the line-editing prompt owns the terminal: lines go through it, above the
  line being typed, and the bars are drawn in its bottom toolbar;
* a terminal without a prompt: the screen draws the bars below the last
  line itself, erasing them before each printed line and redrawing them
  after it.
"""

from __future__ import annotations

import shutil
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from typing import TextIO

__all__ = ["SCREEN", "Screen"]

_ERASE_LINE = "\r\x1b[2K"
_UP_AND_ERASE = "\x1b[1A\x1b[2K"


class Screen:
    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        width: Callable[[], int] | None = None,
    ) -> None:
        # None: sys.stdout/sys.stderr as they are at the time of writing, so a
        # prompt's stdout proxy (or a test's capture) is honoured.
        self._out, self._err = out, err
        self._width = width or (lambda: shutil.get_terminal_size().columns)
        self._live: dict[Hashable, str] = {}
        self._drawn = 0
        # Printing happens on trio's thread and the prompt's; a line must not split a redraw.
        self._lock = threading.RLock()
        self._owner: Callable[[], object] | None = None

    @property
    def is_terminal(self) -> bool:
        return self._stream().isatty()

    def say(self, text: str) -> None:
        """*text* on lines of its own, above the bars."""
        self._write(self._stream(), text)

    def fail(self, text: str) -> None:
        """*text* on stderr, above the bars."""
        self._write(self._err or sys.stderr, text)

    def show(self, key: Hashable, line: str | None) -> None:
        """The live line *key* becomes *line*; None takes it away."""
        with self._lock:
            if line is None:
                self._live.pop(key, None)
            else:
                self._live[key] = line
            if self._owner is not None:
                self._owner()
            elif self.is_terminal:
                out = self._stream()
                out.write(self._erase() + self._draw())
                out.flush()

    def bars(self) -> str:
        """The live lines, for a prompt that draws them itself."""
        with self._lock:
            return "\n".join(self._live.values())

    def hand_over(self, redraw: Callable[[], object]) -> None:
        """A prompt owns the terminal from now on; *redraw* asks it to draw the bars."""
        with self._lock:
            if self._drawn:
                out = self._stream()
                out.write(self._erase())
                out.flush()
            self._owner = redraw

    def take_back(self) -> None:
        """The prompt has given the terminal back: the screen draws the bars again."""
        with self._lock:
            self._owner = None
            if self._live and self.is_terminal:
                out = self._stream()
                out.write(self._draw())
                out.flush()

    def _stream(self) -> TextIO:
        return self._out or sys.stdout

    def _write(self, stream: TextIO, text: str) -> None:
        with self._lock:
            drawn = self._owner is None and self._drawn > 0
            if drawn:
                out = self._stream()
                out.write(self._erase())
                out.flush()
            stream.write(text + "\n")
            stream.flush()
            if drawn:
                out.write(self._draw())
                out.flush()

    def _erase(self) -> str:
        if not self._drawn:
            return ""
        erase = _ERASE_LINE + _UP_AND_ERASE * (self._drawn - 1)
        self._drawn = 0
        return erase

    def _draw(self) -> str:
        # One column short of the width: a full line would wrap, and the erase
        # would then miss the wrapped part.
        width = max(self._width() - 1, 10)
        lines = [line[:width] for line in self._live.values()]
        self._drawn = len(lines)
        return "\n".join(lines)


#: The process's terminal.
SCREEN = Screen()
