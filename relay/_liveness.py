"""When to ping an endpoint, and when to give up on it.

Theory of operation
-------------------
A connection is ``AWAITING_HELLO`` until its first envelope (CreateRoom or
JoinRoom); at ``opened_at + handshake_timeout`` it is ``HANDSHAKE_EXPIRED``.
Then it is ``ATTENTIVE``: anything heard (a message or a pong) restarts the
idle clock. After half the idle timeout of silence the relay pings and the
endpoint is ``PINGED``; if the whole idle timeout passes with nothing heard,
it is ``IDLE_EXPIRED``. While the relay has stopped reading an endpoint
(backpressure: a receiver of its is full) silence is the relay's doing, so
the endpoint is ``PAUSED`` with no deadline; resuming counts as hearing it.

A room's creator also has a *pairing* deadline: a room that never gets a
second member is closed (``PAIRING_EXPIRED``) rather than held forever. A
joiner has an *answer* deadline: one the room's host has not answered by
then (``ANSWER_EXPIRED``) is closed, so a flood of joiners that never
complete a handshake does not hold places in the room.

The relay sleeps until :meth:`Liveness.next_deadline` and then asks
:meth:`Liveness.poll` what to do; no clock is read here. States and their
edges are one table; an edge not in it raises.
"""

from __future__ import annotations

import math
from enum import Enum

from relay._state import InvalidTransitionError

__all__ = ["Liveness", "LivenessAction", "LivenessState"]


class LivenessState(Enum):
    AWAITING_HELLO = "awaiting-hello"
    ATTENTIVE = "attentive"
    PINGED = "pinged"
    PAUSED = "paused"


class LivenessAction(Enum):
    NOTHING = "nothing"
    SEND_PING = "send-ping"
    HANDSHAKE_EXPIRED = "handshake-expired"
    IDLE_EXPIRED = "idle-expired"
    PAIRING_EXPIRED = "pairing-expired"
    ANSWER_EXPIRED = "answer-expired"


_L = LivenessState
#: (state, what happened) -> new state. "heard" is a message or pong.
_EDGES: dict[tuple[LivenessState, str], LivenessState] = {
    (_L.AWAITING_HELLO, "joined"): _L.ATTENTIVE,
    (_L.AWAITING_HELLO, "heard"): _L.AWAITING_HELLO,
    (_L.ATTENTIVE, "heard"): _L.ATTENTIVE,
    (_L.ATTENTIVE, "pinged"): _L.PINGED,
    (_L.ATTENTIVE, "pause"): _L.PAUSED,
    (_L.PINGED, "heard"): _L.ATTENTIVE,
    (_L.PINGED, "pause"): _L.PAUSED,
    (_L.PAUSED, "heard"): _L.PAUSED,
    (_L.PAUSED, "resume"): _L.ATTENTIVE,
}


class Liveness:
    __slots__ = (
        "_answer_deadline",
        "_handshake_deadline",
        "_idle_timeout",
        "_last_heard",
        "_pairing_deadline",
        "state",
    )

    def __init__(self, *, opened_at: float, handshake_timeout: float, idle_timeout: float) -> None:
        self.state = LivenessState.AWAITING_HELLO
        self._handshake_deadline = opened_at + handshake_timeout
        self._idle_timeout = idle_timeout
        self._last_heard = opened_at
        self._pairing_deadline = math.inf
        self._answer_deadline = math.inf

    def _go(self, what: str) -> None:
        try:
            self.state = _EDGES[(self.state, what)]
        except KeyError:
            raise InvalidTransitionError(
                f"liveness {self.state.value} has no edge {what!r}"
            ) from None

    def joined(self, now: float) -> None:
        self._go("joined")
        self._last_heard = max(self._last_heard, now)

    def await_partner(self, deadline: float) -> None:
        """This endpoint created a room: close it unless someone joins by *deadline*."""
        self._pairing_deadline = deadline

    def paired(self) -> None:
        self._pairing_deadline = math.inf

    def await_answer(self, deadline: float) -> None:
        """This endpoint joined a room: close it unless the host answers it by *deadline*."""
        self._answer_deadline = deadline

    def answered(self) -> None:
        self._answer_deadline = math.inf

    def heard(self, now: float) -> None:
        self._last_heard = max(self._last_heard, now)
        self._go("heard")

    def pause(self) -> None:
        self._go("pause")

    def resume(self, now: float) -> None:
        self._go("resume")
        self._last_heard = max(self._last_heard, now)

    def next_deadline(self) -> float:
        match self.state:
            case LivenessState.AWAITING_HELLO:
                return self._handshake_deadline
            case LivenessState.PAUSED:
                return min(self._pairing_deadline, self._answer_deadline)
            case LivenessState.PINGED:
                idle = self._last_heard + self._idle_timeout
            case LivenessState.ATTENTIVE:
                idle = self._last_heard + self._idle_timeout / 2
        return min(idle, self._pairing_deadline, self._answer_deadline)

    def poll(self, now: float) -> LivenessAction:
        if self.state is LivenessState.AWAITING_HELLO:
            if now >= self._handshake_deadline:
                return LivenessAction.HANDSHAKE_EXPIRED
            return LivenessAction.NOTHING
        if now >= self._pairing_deadline:
            return LivenessAction.PAIRING_EXPIRED
        if now >= self._answer_deadline:
            return LivenessAction.ANSWER_EXPIRED
        if self.state is LivenessState.PAUSED or now < self.next_deadline():
            return LivenessAction.NOTHING
        if self.state is LivenessState.PINGED:
            return LivenessAction.IDLE_EXPIRED
        self._go("pinged")
        return LivenessAction.SEND_PING
