"""An endpoint's life at the relay, as one state and one transition table.

Theory of operation
-------------------
A WebSocket connection becomes an endpoint ``AWAITING_ROOM``; its first
envelope puts it ``IN_ROOM`` (CreateRoom or JoinRoom). From either it is
``CLOSING`` once the relay or the client starts the close handshake: it is
out of its room from that moment, takes no more messages and gets only its
last words (a rejection, the close frame). It is ``GONE`` when the TCP
connection is over, from any state: a client may vanish at any time.

Leaving the room happens on exactly one edge, the first one out of
``IN_ROOM``, whichever it is; :meth:`EndpointLife.advance` says so by
returning True. Anything not in the table raises, as in h11's ``_state.py``.
"""

from __future__ import annotations

from enum import Enum

from relay._errors import RelayError

__all__ = ["EndpointLife", "EndpointState", "LifeEvent"]


class EndpointState(Enum):
    AWAITING_ROOM = "awaiting-room"
    IN_ROOM = "in-room"
    CLOSING = "closing"
    GONE = "gone"


class LifeEvent(Enum):
    ENTERED = "entered"  # CreateRoom or JoinRoom accepted
    CLOSE_STARTED = "close-started"  # either side sent a close frame
    DISCONNECTED = "disconnected"  # the TCP connection is over


_S = EndpointState
_E = LifeEvent
_TRANSITIONS: dict[tuple[EndpointState, LifeEvent], EndpointState] = {
    (_S.AWAITING_ROOM, _E.ENTERED): _S.IN_ROOM,
    (_S.AWAITING_ROOM, _E.CLOSE_STARTED): _S.CLOSING,
    (_S.AWAITING_ROOM, _E.DISCONNECTED): _S.GONE,
    (_S.IN_ROOM, _E.CLOSE_STARTED): _S.CLOSING,
    (_S.IN_ROOM, _E.DISCONNECTED): _S.GONE,
    (_S.CLOSING, _E.DISCONNECTED): _S.GONE,
}


class InvalidTransitionError(RelayError):
    """The relay tried to move an endpoint along an edge its life does not have."""


class EndpointLife:
    __slots__ = ("open", "state")

    def __init__(self) -> None:
        self.state = EndpointState.AWAITING_ROOM
        #: Still taking messages (not closing, not gone). An attribute, not a
        #: property: the relay asks several times per message.
        self.open = True

    def advance(self, event: LifeEvent) -> bool:
        """Apply *event*; True if this edge took the endpoint out of its room."""
        try:
            new = _TRANSITIONS[(self.state, event)]
        except KeyError:
            raise InvalidTransitionError(
                f"an endpoint {self.state.value} cannot be {event.value}"
            ) from None
        left_room = self.state is EndpointState.IN_ROOM
        self.state = new
        self.open = new is EndpointState.AWAITING_ROOM or new is EndpointState.IN_ROOM
        return left_room
