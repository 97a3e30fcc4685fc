"""Room bookkeeping: who is in which room, with which endpoint id.

Theory of operation
-------------------
A room exists from the host's CreateRoom until its last endpoint leaves; the
relay keeps nothing about it afterwards. Endpoint ids are small integers
counted up from 1 within the room and never reused while the room lives, so
a message addressed to someone who left cannot reach a newcomer by accident.
The host may leave before the others; the room then carries on without one
(nobody can kick any more). The host may hand its part to another member
(:meth:`Rooms.hand_over`), when control of the session moves to an
assistant: joiners are welcomed with the new host's id, so their handshakes
reach it. Only the current host may do that: the creator's part is not
kept, so a former host that stays cannot take joins back, and no other
member can redirect them to itself.

Coming back after a drop (SPEC X3), an endpoint asks for the id it had: a
member's JoinRoom names it, and whoever holds it now (the member's own dead
connection, which the relay has not noticed yet) is replaced. After a
relay restart the host's CreateRoom names its id and a *floor*: fresh ids
start there, so no newcomer gets the id of a member still on its way back.
The relay cannot tell a member from someone else who knows the room id;
the end-to-end resume does (``codec._resume``), so the worst a stranger can
do here is stand in a member's place and be refused by everyone else.

A joiner is *unanswered* until the room's host sends it something (the
reply to its handshake, or to its resume question): only someone the host
talks to is in the session. A room holds at most ``max_unanswered`` of
them; the next joiner takes the place of the one waiting longest, which is
then told to go (*evicted*). So a flood of joiners that never complete a
handshake cannot fill a room and keep its real customer out: a customer's
handshake is answered within one round trip, and after that no newcomer
can push it out. The server closes an unanswered joiner after a while
(``relay._router``).

This module does no IO and reads no clock: the server passes ``now`` in and
attaches its own connection object to each member (the type parameter), so
everything here is tested with plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from codec import MAX_ENDPOINT_ID
from relay._errors import (
    NoSuchMemberError,
    NoSuchRoomError,
    NotHostError,
    RoomExistsError,
    RoomFullError,
    TooManyRoomsError,
)

__all__ = ["Departure", "Joined", "Room", "Rooms"]

T = TypeVar("T")


@dataclass(slots=True)
class Room(Generic[T]):
    id: str
    host: int
    created_at: float
    members: dict[int, T] = field(default_factory=dict)
    next_id: int = 1
    #: Joiners the host has not answered yet, the one waiting longest first.
    unanswered: dict[int, T] = field(default_factory=dict)

    def others(self, endpoint_id: int) -> list[T]:
        return [m for i, m in self.members.items() if i != endpoint_id]


@dataclass(frozen=True, slots=True)
class Joined(Generic[T]):
    """A joiner's place: its id, the room, and whom the server must send away."""

    id: int
    room: Room[T]
    #: This member's earlier connection, which the new one replaces (SPEC X3).
    replaced: T | None = None
    #: The unanswered joiner that waited longest, when too many wait.
    evicted: T | None = None


@dataclass(frozen=True, slots=True)
class Departure(Generic[T]):
    """What the server must do after someone left: tell *remaining* about it."""

    room: str
    id: int
    remaining: list[T]
    #: Seconds the room lived, if this departure closed it.
    closed_after: float | None


class Rooms(Generic[T]):
    def __init__(
        self, *, max_rooms: int, max_endpoints_per_room: int, max_unanswered: int = 4
    ) -> None:
        self._max_rooms = max_rooms
        self._max_members = max_endpoints_per_room
        self._max_unanswered = max_unanswered
        self._rooms: dict[str, Room[T]] = {}

    def __len__(self) -> int:
        return len(self._rooms)

    def get(self, room_id: str) -> Room[T] | None:
        return self._rooms.get(room_id)

    def create(
        self, room_id: str, endpoint: T, now: float, *, wanted: int | None = None, floor: int = 0
    ) -> int:
        """Open *room_id* with *endpoint* as its host; return the host's endpoint id."""
        if room_id in self._rooms:
            raise RoomExistsError(
                f"room {room_id} is already in use; start a new session to get a fresh code"
            )
        if len(self._rooms) >= self._max_rooms:
            raise TooManyRoomsError("this relay is full (too many rooms); try again later")
        host = wanted if wanted is not None and wanted > 0 else 1
        room: Room[T] = Room(room_id, host=host, created_at=now, next_id=max(floor, host + 1))
        self._rooms[room_id] = room
        room.members[host] = endpoint
        return host

    def join(self, room_id: str, endpoint: T, *, wanted: int | None = None) -> Joined[T]:
        """Add *endpoint* to an existing room, unanswered (see the module's notes)."""
        room = self._rooms.get(room_id)
        if room is None:
            raise NoSuchRoomError(
                f"there is no session {room_id} on this relay; check the session number"
            )
        rejoin = wanted is not None and wanted > 0
        replaced = room.members.get(wanted) if wanted is not None and rejoin else None
        # The joiner waiting longest makes way (a member coming back on a new
        # connection takes its own old place instead); the host waits for nobody.
        evict = (
            len(room.unanswered) >= self._max_unanswered
            and wanted not in room.unanswered
            and wanted != room.host
        )
        if replaced is None and len(room.members) - evict >= self._max_members:
            raise RoomFullError(f"session {room_id} already has {self._max_members} participants")
        evicted = None
        if evict:
            oldest = next(iter(room.unanswered))
            del room.unanswered[oldest]
            evicted = room.members.pop(oldest)
        if wanted is not None and rejoin:
            room.members[wanted] = endpoint
            # Never hand that id to a newcomer later.
            room.next_id = max(room.next_id, wanted + 1)
            endpoint_id = wanted
        else:
            endpoint_id = self._add(room, endpoint)
        if endpoint_id != room.host:
            room.unanswered.pop(endpoint_id, None)  # to the end of the line
            room.unanswered[endpoint_id] = endpoint
        return Joined(endpoint_id, room, replaced, evicted)

    def answered(self, room_id: str, by: int, to: int) -> bool:
        """*by* sent *to* something; True if that was the host answering a joiner."""
        room = self._rooms.get(room_id)
        if room is None or by != room.host or to not in room.unanswered:
            return False
        del room.unanswered[to]
        return True

    def member(self, room_id: str, endpoint_id: int) -> T:
        room = self._rooms.get(room_id)
        if room is None or endpoint_id not in room.members:
            raise NoSuchMemberError(f"endpoint {endpoint_id} is not in this session")
        return room.members[endpoint_id]

    def member_list(self, room_id: str) -> list[T]:
        room = self._rooms.get(room_id)
        return [] if room is None else list(room.members.values())

    def has_had(self, room_id: str, endpoint_id: int) -> bool:
        """Was *endpoint_id* ever given out in this room (it may have left)?"""
        room = self._rooms.get(room_id)
        return room is not None and 0 < endpoint_id < room.next_id

    def kick(self, room_id: str, by: int, target: int) -> T:
        """Check that *by* may remove *target*; return *target*'s object.

        Removing it is then an ordinary :meth:`leave`, done when the server has
        told the endpoint why.
        """
        room = self._rooms.get(room_id)
        if room is None or by not in room.members:
            raise NoSuchMemberError("you are not in this session")
        if by != room.host:
            raise NotHostError("only the session host can remove participants")
        if target not in room.members:
            raise NoSuchMemberError(f"endpoint {target} is not in this session")
        return room.members[target]

    def hand_over(self, room_id: str, by: int, to: int) -> None:
        """Make member *to* the host of *room_id*; only the current host, *by*, may."""
        room = self._rooms.get(room_id)
        if room is None or by not in room.members:
            raise NoSuchMemberError("you are not in this session")
        if by != room.host:
            raise NotHostError("only the session host can hand the host's part to another member")
        if to not in room.members:
            raise NoSuchMemberError(f"endpoint {to} is not in this session")
        room.host = to

    def leave(
        self, room_id: str, endpoint_id: int, now: float, endpoint: T | None = None
    ) -> Departure[T] | None:
        """Remove a member; None if it was not there (already kicked, or replaced).

        With *endpoint*, only that object is removed: a connection replaced by
        its member's new one leaves without taking the new one along.
        """
        room = self._rooms.get(room_id)
        if room is None or endpoint_id not in room.members:
            return None
        if endpoint is not None and room.members[endpoint_id] is not endpoint:
            return None
        del room.members[endpoint_id]
        room.unanswered.pop(endpoint_id, None)
        closed_after = None
        if not room.members:
            del self._rooms[room_id]
            closed_after = now - room.created_at
        return Departure(room_id, endpoint_id, list(room.members.values()), closed_after)

    def _add(self, room: Room[T], endpoint: T) -> int:
        endpoint_id = room.next_id
        if endpoint_id > MAX_ENDPOINT_ID:  # pragma: no cover - 2**31 joins in one room
            raise RoomFullError(f"session {room.id} has used up its endpoint ids")
        room.next_id += 1
        room.members[endpoint_id] = endpoint
        return endpoint_id
