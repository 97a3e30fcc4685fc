"""When to ping an endpoint, and when to give up on it.

Theory of operation
-------------------
A connection has until ``opened_at + handshake_timeout`` to send its first
envelope (CreateRoom or JoinRoom); otherwise it is closed as
``HANDSHAKE_EXPIRED``. After that, anything heard from the endpoint (a
message or a pong) restarts the idle clock. After half the idle timeout of
silence the relay sends a ping; if the whole idle timeout passes with nothing
heard, the connection is ``IDLE_EXPIRED``.

While the relay itself has stopped reading an endpoint (backpressure: one of
its receivers is full) silence is the relay's doing, not the endpoint's, so
the clock is *paused*; resuming counts as hearing from it.

The server sleeps until :meth:`Liveness.next_deadline` and then asks
:meth:`Liveness.poll` what to do; no clock is read here.
"""

from __future__ import annotations

import math
from enum import Enum

__all__ = ["Liveness", "LivenessAction"]


class LivenessAction(Enum):
    NOTHING = "nothing"
    SEND_PING = "send-ping"
    HANDSHAKE_EXPIRED = "handshake-expired"
    IDLE_EXPIRED = "idle-expired"


class Liveness:
    def __init__(self, *, opened_at: float, handshake_timeout: float, idle_timeout: float) -> None:
        self._handshake_deadline = opened_at + handshake_timeout
        self._idle_timeout = idle_timeout
        self._joined = False
        self._paused = False
        self._ping_pending = False
        self._last_heard = opened_at

    def joined(self, now: float) -> None:
        self._joined = True
        self.heard(now)

    def heard(self, now: float) -> None:
        self._last_heard = max(self._last_heard, now)
        self._ping_pending = False

    def pause(self) -> None:
        self._paused = True

    def resume(self, now: float) -> None:
        self._paused = False
        self.heard(now)

    def next_deadline(self) -> float:
        if not self._joined:
            return self._handshake_deadline
        if self._paused:
            return math.inf
        if self._ping_pending:
            return self._last_heard + self._idle_timeout
        return self._last_heard + self._idle_timeout / 2

    def poll(self, now: float) -> LivenessAction:
        if not self._joined:
            if now >= self._handshake_deadline:
                return LivenessAction.HANDSHAKE_EXPIRED
            return LivenessAction.NOTHING
        if self._paused or now < self.next_deadline():
            return LivenessAction.NOTHING
        if self._ping_pending:
            return LivenessAction.IDLE_EXPIRED
        self._ping_pending = True
        return LivenessAction.SEND_PING
