"""A progress line per transfer: a live bar on a terminal, plain lines otherwise.

The bars are drawn by :data:`peer._screen.SCREEN`, the terminal's one writer,
so lines printed meanwhile appear above them, whole.

Plain lines (stdout is a pipe or a file, as for scripts) appear each time a
transfer passes another tenth of its size, so a log stays short; each says
percent, rate and time left.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from codec import neutralise
from peer._file_settings import human_size
from peer._screen import SCREEN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from peer._file_events import TransferView
    from peer._screen import Screen

__all__ = ["BarProgress", "Progress", "bar_line", "open_progress", "progress_line"]

#: Characters in a bar; the rest of the line says how far and how fast.
BAR_WIDTH = 20


def progress_line(view: TransferView) -> str:
    arrow = f"to {view.peer}" if view.sending else f"from {view.peer}"
    left = "" if view.left is None else f", {_duration(view.left)} left"
    name = neutralise(view.name, 255)  # the other side chose it
    return (
        f"[{view.number}] {name} {arrow}: {view.percent:.0f}% of {human_size(view.size)}, "
        f"{human_size(view.rate)}/s{left}"
    )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """Plain lines: one per tenth of each transfer."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._tenths: dict[int, int] = {}

    def update(self, view: TransferView) -> None:
        tenth = int(view.percent // 10)
        if view.state == "moving" and tenth > self._tenths.get(view.number, 0):
            self._tenths[view.number] = tenth
            self._say(progress_line(view))

    def finish(self, view: TransferView) -> None:
        self._tenths.pop(view.number, None)


class BarProgress(Progress):
    """A bar per moving transfer, drawn by the screen below the lines printed."""

    def __init__(self, say: Callable[[str], None], screen: Screen) -> None:
        super().__init__(say)
        self._screen = screen
        self._shown: set[int] = set()

    def update(self, view: TransferView) -> None:
        if view.state != "moving":
            return
        self._shown.add(view.number)
        self._screen.show((id(self), view.number), bar_line(view))

    def finish(self, view: TransferView) -> None:
        self._shown.discard(view.number)
        self._screen.show((id(self), view.number), None)

    def close(self) -> None:
        for number in self._shown:
            self._screen.show((id(self), number), None)
        self._shown.clear()


def bar_line(view: TransferView, width: int = BAR_WIDTH) -> str:
    arrow = "↑" if view.sending else "↓"
    filled = round(width * min(max(view.percent, 0.0), 100.0) / 100)
    left = f", {_duration(view.left)} left" if view.left is not None else ""
    name = neutralise(view.name, 255)  # the other side chose it
    return (
        f"[{view.number}] {arrow} {name} {'━' * filled}{'─' * (width - filled)} "
        f"{view.percent:3.0f}% {human_size(view.done)}/{human_size(view.size)} "
        f"{human_size(view.rate)}/s{left}"
    )


@contextmanager
def open_progress(say: Callable[[str], None]) -> Iterator[Progress]:
    if not SCREEN.is_terminal:
        yield Progress(say)
        return
    bars = BarProgress(say, SCREEN)
    try:
        yield bars
    finally:
        bars.close()
