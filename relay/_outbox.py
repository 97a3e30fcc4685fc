"""What the relay has queued for each endpoint, and how it leaves.

Theory of operation
-------------------
An endpoint's :class:`Outbox` holds frames for it in the order they were
queued: a forwarded payload still in the buffer it arrived in, behind the
few bytes of its header. Queuing marks the outbox *dirty* with the relay's
:class:`Flusher`; whichever task queued it flushes the dirty outboxes at the
end of its turn (a reader after one read, the clock after one look), so a
message leaves in the same scheduling turn it arrived in and a read full of
messages for one receiver leaves in one ``sendmsg``. The flusher's own task
catches anything queued elsewhere.

Nothing waits on an outbox while its socket takes what is queued, which is
almost always: an idle endpoint has no writer task. Only when the kernel's
send buffer is full does the endpoint start one (``Endpoint._write_rest``),
which waits for the socket to drain and ends once the outbox is empty.

Close frames must not cut a frame in two, so the outbox knows the sizes of
its frames and how much of the first is out: dropping what is queued keeps
the rest of a frame already begun.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from itertools import islice
from typing import TYPE_CHECKING, Protocol

import trio

if TYPE_CHECKING:
    import socket

    from relay._metrics import RelayMetrics
    from relay._quotas import BufferBudget

__all__ = ["Flusher", "Outbox", "Written"]

#: Buffers handed to one ``sendmsg`` (the kernel takes at most IOV_MAX, 1024).
WRITE_BATCH_BUFFERS = 512

#: Bytes one task's turn hands the kernel for one endpoint. On loopback a
#: send costs as much as the receiver's whole TCP path; a 200 KB message
#: written in one go would make every other session wait behind it, so a
#: large message goes out in slices, one per turn, between others' turns.
WRITE_SLICE_BYTES = 64 * 1024

#: What an outbox with nothing queued holds instead of deques of its own
#: (about 600 bytes each): idle connections are most of a relay's.
_NO_BUFFERS: deque[bytes | memoryview] = deque(maxlen=0)
_NO_FRAMES: deque[int] = deque(maxlen=0)


class Written(Enum):
    """What one attempt to write an outbox came to."""

    ALL = "all"  # nothing left queued
    MORE = "more"  # a slice went out; the rest goes on the writer's next turn
    BLOCKED = "blocked"  # the socket's send buffer is full; wait until writable
    BROKEN = "broken"  # the connection is gone


class Flushable(Protocol):
    def flush(self) -> None: ...


class Outbox:
    """Frames queued for one socket, charged to the relay's buffer budget."""

    __slots__ = (
        "_budget",
        "_buffers",
        "_frames",
        "_front_sent",
        "_metrics",
        "_sock",
        "bytes",
    )

    def __init__(self, sock: socket.socket, budget: BufferBudget, metrics: RelayMetrics) -> None:
        self._sock = sock
        self._budget = budget
        self._metrics = metrics
        self._buffers = _NO_BUFFERS
        #: Sizes of the queued frames, and how much of the first is sent.
        self._frames = _NO_FRAMES
        self._front_sent = 0
        self.bytes = 0

    def __bool__(self) -> bool:
        return bool(self._buffers)

    def push(self, buffers: tuple[bytes | memoryview, ...]) -> None:
        """Queue one frame made of *buffers*."""
        if self._buffers is _NO_BUFFERS:
            self._buffers, self._frames = deque(), deque()
        self._buffers.extend(buffers)
        size = sum(map(len, buffers))
        self._frames.append(size)
        self.bytes += size
        self._budget.charge(size)
        self._metrics.queued(size, self.bytes)

    def write(self) -> Written:
        """Hand the kernel up to :data:`WRITE_SLICE_BYTES` now, without waiting."""
        budget = WRITE_SLICE_BYTES
        while self._buffers:
            if budget <= 0:
                return Written.MORE
            batch: list[bytes | memoryview] = []
            size = 0
            for buffer in islice(self._buffers, WRITE_BATCH_BUFFERS):
                room = budget - size
                if len(buffer) > room:
                    if room:
                        batch.append(memoryview(buffer)[:room])
                        size = budget
                    break
                batch.append(buffer)
                size += len(buffer)
            try:
                sent = self._sock.sendmsg(batch)
            except BlockingIOError:
                return Written.BLOCKED
            except OSError:
                return Written.BROKEN
            self._consume(sent)
            budget -= sent
            if sent < size:
                # A short write: the send buffer is full; try once more to know.
                continue
        self._buffers, self._frames = _NO_BUFFERS, _NO_FRAMES
        return Written.ALL

    def drop(self, *, keep_started_frame: bool = True) -> int:
        """Forget what is queued, except the rest of a frame already begun.

        Returns the bytes released.
        """
        keep = 0
        if keep_started_frame and self._front_sent:
            keep = self._frames[0] - self._front_sent
        dropped = self.bytes - keep
        if keep:
            kept: deque[bytes | memoryview] = deque()
            held = 0
            while held < keep:
                buffer = self._buffers.popleft()
                kept.append(buffer)
                held += len(buffer)
            self._buffers, self._frames = kept, deque([self._frames[0]])
        else:
            self._buffers, self._frames = _NO_BUFFERS, _NO_FRAMES
            self._front_sent = 0
        self._release(dropped)
        return dropped

    def _consume(self, sent: int) -> None:
        self._release(sent)
        buffers, frames = self._buffers, self._frames
        left = sent
        while left:
            first = buffers[0]
            if len(first) <= left:
                left -= len(first)
                buffers.popleft()
            else:
                buffers[0] = memoryview(first)[left:]
                left = 0
        left = sent + self._front_sent
        while frames and frames[0] <= left:
            left -= frames.popleft()
        self._front_sent = left

    def _release(self, n: int) -> None:
        if n:
            self.bytes -= n
            self._budget.release(n)
            self._metrics.queued(-n, self.bytes)


class Flusher:
    """The relay's list of outboxes with something new to send.

    :meth:`flush` is called by each task that queues, at the end of its
    turn; :meth:`run` is the task that catches the rest.
    """

    def __init__(self) -> None:
        self._dirty: list[Flushable] = []
        self._lot = trio.lowlevel.ParkingLot()

    def mark(self, endpoint: Flushable) -> None:
        """*endpoint* has something new queued (it marks itself once until flushed)."""
        self._dirty.append(endpoint)
        if len(self._dirty) == 1:
            self._lot.unpark_all()

    def flush(self) -> None:
        while self._dirty:
            dirty, self._dirty = self._dirty, []
            for endpoint in dirty:
                endpoint.flush()

    async def run(self) -> None:
        """Flush whatever a task left queued; runs until cancelled."""
        while True:
            if not self._dirty:
                await self._lot.park()
            self.flush()
            await trio.lowlevel.checkpoint()
