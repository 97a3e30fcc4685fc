"""A progress line per transfer: a ``rich`` bar on a terminal, plain lines otherwise.

Plain lines (stdout is a pipe or a file, as for scripts) appear each time a
transfer passes another tenth of its size, so a log stays short; each says
percent, rate and time left.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, TaskID, TextColumn
from rich.progress import Progress as RichProgress

from peer._file_settings import human_size

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from peer._file_events import TransferView

__all__ = ["Progress", "open_progress", "progress_line"]


def progress_line(view: TransferView) -> str:
    arrow = f"to {view.peer}" if view.sending else f"from {view.peer}"
    left = "" if view.left is None else f", {_duration(view.left)} left"
    return (
        f"[{view.number}] {view.name} {arrow}: {view.percent:.0f}% of {human_size(view.size)}, "
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
    """A ``rich`` bar per moving transfer; printed lines scroll above the bars."""

    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__(say)
        self._bars = RichProgress(
            TextColumn("[{task.fields[number]}] {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rate]}"),
            console=Console(file=sys.stdout),
            transient=True,
        )
        self._tasks: dict[int, TaskID] = {}

    def update(self, view: TransferView) -> None:
        if view.state != "moving":
            return
        if not self._tasks:
            self._bars.start()
        task = self._tasks.get(view.number)
        arrow = "↑" if view.sending else "↓"
        rate = f"{human_size(view.rate)}/s" + (
            f", {_duration(view.left)} left" if view.left is not None else ""
        )
        if task is None:
            self._tasks[view.number] = self._bars.add_task(
                f"{arrow} {view.name}",
                total=view.size,
                completed=view.done,
                number=view.number,
                rate=rate,
            )
        else:
            self._bars.update(task, completed=view.done, rate=rate)

    def finish(self, view: TransferView) -> None:
        task = self._tasks.pop(view.number, None)
        if task is not None:
            self._bars.remove_task(task)
        if not self._tasks:
            self._bars.stop()

    def close(self) -> None:
        self._bars.stop()


@contextmanager
def open_progress(say: Callable[[str], None]) -> Iterator[Progress]:
    if not sys.stdout.isatty():
        yield Progress(say)
        return
    bars = BarProgress(say)
    try:
        yield bars
    finally:
        bars.close()
