"""One epoll for the readers of every quiet connection.

Theory of operation
-------------------
A relay's connections are mostly idle, and an idle connection's reader
spends its life waiting for its socket to become readable. Through
``trio.lowlevel.wait_readable`` that wait is five coroutine frames, a
closure and trio's own record of the descriptor: about 1.7 KB a connection,
more than a quarter of what an idle connection costs the relay.

A :class:`ReadPoller` keeps an epoll of the relay's own instead. A waiting
reader is one dict entry here and one ``wait_task_rescheduled`` frame in its
task; the poller's one task (:meth:`ReadPoller.run`) waits for the epoll's
own descriptor and wakes the readers whose sockets are readable. That
wake-up takes one scheduling round more than trio's, so only a connection
quiet for :data:`QUIET_SECONDS` waits here; a busy one waits through trio.

Each wait arms a one-shot registration, as trio does, so a socket reports at
most once per wait and a connection that closes leaves nothing behind (the
kernel drops a closed descriptor from every epoll). Cancelling a wait (the
reader's cancel scope) only forgets the waiting task; should the
registration fire later, there is nobody to wake and nothing happens.

epoll is Linux's; elsewhere :func:`open_poller` gives None and readers wait
through trio.
"""

from __future__ import annotations

import select
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    import socket

__all__ = ["QUIET_SECONDS", "ReadPoller", "open_poller"]

#: A reader waits through trio this long before it waits here: trio wakes a
#: task one scheduling round sooner than the poller can (the poller's task
#: must run first), which a busy relay's small messages notice.
QUIET_SECONDS = 1.0

_ONE_READ = getattr(select, "EPOLLIN", 0) | getattr(select, "EPOLLONESHOT", 0)


class ReadPoller:
    """Readers waiting for their sockets, woken by one task."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._waiting: dict[int, trio.lowlevel.Task] = {}

    def arm(self, sock: socket.socket) -> None:
        """The current task is about to wait for *sock* to be readable (see :meth:`forget`).

        The caller then waits with ``trio.lowlevel.wait_task_rescheduled``,
        whose abort calls :meth:`forget`.
        """
        fd = sock.fileno()
        self._waiting[fd] = trio.lowlevel.current_task()
        try:
            self._epoll.modify(fd, _ONE_READ)
        except FileNotFoundError:  # new here, or closed and its number reused
            self._epoll.register(fd, _ONE_READ)

    def forget(self, sock: socket.socket) -> None:
        """The waiting task on *sock* no longer waits (it was cancelled)."""
        self._waiting.pop(sock.fileno(), None)

    async def run(self) -> None:
        """Wake readers whose sockets are readable; runs until cancelled."""
        try:
            while True:
                await trio.lowlevel.wait_readable(self._epoll.fileno())
                for fd, _ in self._epoll.poll(0):
                    task = self._waiting.pop(fd, None)
                    if task is not None:
                        trio.lowlevel.reschedule(task)
        finally:
            trio.lowlevel.notify_closing(self._epoll.fileno())
            self._epoll.close()


def open_poller() -> ReadPoller | None:
    """A poller where the system has epoll, else None."""
    return ReadPoller() if hasattr(select, "epoll") else None
