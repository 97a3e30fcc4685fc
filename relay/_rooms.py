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

An id is taken back only with its *rejoin token*: the relay makes one up
for every id it gives out (the Welcome carries it) and keeps it while the
room lives, its endpoint present or away. A claim without it is refused
(:class:`PlaceTakenError`), so someone who knows only the room id can no
longer push a present member, or the host, out of its place. An id with no
token held (never given out here, or forgotten: see below) goes to the
first to claim it, and the token it brings becomes the id's token: that is
a relay that restarted, where a host re-creates the room and its members
come back with the tokens the old relay gave them. Those claims are
*unproven* (the relay cannot tell a member from a stranger who got there
first), so in a re-created room a later claim may take an unproven
member's id over for ``claim_window`` seconds, as any claim could before
tokens; the end-to-end resume (``codec._resume``) tells the members apart,
and the worst a stranger does is stand in a place for a while and be
refused by everyone else. After the window whoever holds an id keeps it.
The host's id is never taken over: whoever re-created the room keeps it.
A stranger who got there before the rep then has the room, and the rep,
refused, moves its session to a room the stranger does not know (the
standby room its members learnt end to end).

An id is claimed only if this room gave it out, as far as the relay knows:
a claim at or past the next fresh id is refused, since one such claim would
otherwise use up the room's ids and shut it to every newcomer. The exception
is a re-created room's claim window, for ids a little past its floor: a
stranger who re-created the room first chose that floor, not the session.

A token is forgotten when its joiner leaves without the host ever having
answered it (it was never in the session), when the host kicks the id
(even after it left: the host's Disconnect often comes late), and, past
``max_away`` ids away in one room, for the one away longest; the next to
claim such an id sets its token again.

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

import hmac
import math
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from codec import MAX_ENDPOINT_ID, REJOIN_TOKEN_BYTES
from relay._errors import (
    NoSuchMemberError,
    NoSuchRoomError,
    NotHostError,
    PlaceTakenError,
    RoomExistsError,
    RoomFullError,
    TooManyRoomsError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CLAIM_WINDOW", "MAX_AWAY", "MAX_CLAIM_AHEAD", "Departure", "Joined", "Room", "Rooms"]

T = TypeVar("T")

#: Seconds after a room is re-created (a relay restart) during which a claim may
#: take over an id someone else claimed first: the rep and its members come back
#: within a few seconds of the relay (their back-off stops at 8 s).
CLAIM_WINDOW = 30.0
#: Tokens kept per room for ids whose endpoint is away; a room rarely has more
#: members than a few, and each departed stranger's id is kicked by the host.
MAX_AWAY = 64
#: How far past the ids a re-created room has given out a claim may reach, and
#: only in its claim window: members coming back have ids below their host's
#: floor, and a claim far ahead would use up the room's ids for its whole life.
MAX_CLAIM_AHEAD = 64


def _random_token() -> bytes:
    return secrets.token_bytes(REJOIN_TOKEN_BYTES)


@dataclass(slots=True)
class Room(Generic[T]):
    id: str
    host: int
    created_at: float
    members: dict[int, T] = field(default_factory=dict)
    next_id: int = 1
    #: Joiners the host has not answered yet, the one waiting longest first.
    unanswered: dict[int, T] = field(default_factory=dict)
    #: Each id's rejoin token, its endpoint present or away.
    tokens: dict[int, bytes] = field(default_factory=dict)
    #: Ids whose token the first to claim them set (not issued here).
    unproven: set[int] = field(default_factory=set)
    #: Until when a claim may take over an unproven id (a re-created room only).
    contest_until: float = -math.inf
    #: Ids the host has answered at least once: those are held when they leave.
    heard: set[int] = field(default_factory=set)
    #: Ids away whose token is kept, the one away longest first.
    away: dict[int, None] = field(default_factory=dict)

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
    #: The id was taken over from whoever claimed it first (a re-created room).
    contested: bool = False


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
        self,
        *,
        max_rooms: int,
        max_endpoints_per_room: int,
        max_unanswered: int = 4,
        claim_window: float = CLAIM_WINDOW,
        max_away: int = MAX_AWAY,
        new_token: Callable[[], bytes] = _random_token,
    ) -> None:
        self._max_rooms = max_rooms
        self._max_members = max_endpoints_per_room
        self._max_unanswered = max_unanswered
        self._claim_window = claim_window
        self._max_away = max_away
        self._new_token = new_token
        self._rooms: dict[str, Room[T]] = {}

    def __len__(self) -> int:
        return len(self._rooms)

    def get(self, room_id: str) -> Room[T] | None:
        return self._rooms.get(room_id)

    def create(
        self,
        room_id: str,
        endpoint: T,
        now: float,
        *,
        wanted: int | None = None,
        floor: int = 0,
        token: bytes | None = None,
    ) -> int:
        """Open *room_id* with *endpoint* as its host; return the host's endpoint id.

        With *wanted* the host re-creates its room after a relay restart and
        brings its rejoin *token*; every claim in that room is then unproven
        for a while (see the module's notes).
        """
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
        room.heard.add(host)
        if wanted is not None and wanted > 0:
            room.contest_until = now + self._claim_window
            room.unproven.add(host)
            room.tokens[host] = token if token is not None else self._new_token()
        else:
            room.tokens[host] = self._new_token()
        return host

    def join(
        self,
        room_id: str,
        endpoint: T,
        now: float,
        *,
        wanted: int | None = None,
        token: bytes | None = None,
    ) -> Joined[T]:
        """Add *endpoint* to an existing room, unanswered (see the module's notes).

        Asking for the id it had (*wanted*), it must bring that id's rejoin
        *token*, unless the relay holds none for it.
        """
        room = self._rooms.get(room_id)
        if room is None:
            raise NoSuchRoomError(
                f"there is no session {room_id} on this relay; check the session number"
            )
        claim = wanted if wanted is not None and wanted > 0 else None
        if claim is not None and claim >= room.next_id:
            self._check_ahead(room, claim, now)
        contested = claim is not None and self._contest(room, claim, token, now)
        replaced = room.members.get(claim) if claim is not None else None
        # The joiner waiting longest makes way (a member coming back on a new
        # connection takes its own old place instead); the host waits for nobody.
        evict = (
            len(room.unanswered) >= self._max_unanswered
            and claim not in room.unanswered
            and claim != room.host
        )
        if replaced is None and len(room.members) - evict >= self._max_members:
            raise RoomFullError(f"session {room_id} already has {self._max_members} participants")
        evicted = None
        if evict:
            oldest = next(iter(room.unanswered))
            del room.unanswered[oldest]
            evicted = room.members.pop(oldest)
            self._depart(room, oldest)
        if claim is not None:
            room.members[claim] = endpoint
            # Never hand that id to a newcomer later.
            room.next_id = max(room.next_id, claim + 1)
            endpoint_id = claim
            room.away.pop(claim, None)
            if contested or claim not in room.tokens:
                # The first to claim it (or the one taking it over) sets its token.
                room.tokens[claim] = token if token is not None else self._new_token()
                room.unproven.add(claim)
        else:
            endpoint_id = self._add(room, endpoint)
            room.tokens[endpoint_id] = self._new_token()
        if endpoint_id != room.host:
            room.unanswered.pop(endpoint_id, None)  # to the end of the line
            room.unanswered[endpoint_id] = endpoint
        return Joined(endpoint_id, room, replaced, evicted, contested)

    def token(self, room_id: str, endpoint_id: int) -> bytes:
        """The rejoin token of *endpoint_id*, for its Welcome."""
        room = self._rooms.get(room_id)
        if room is None or endpoint_id not in room.tokens:
            raise NoSuchMemberError(f"endpoint {endpoint_id} is not in this session")
        return room.tokens[endpoint_id]

    @staticmethod
    def _check_ahead(room: Room[T], claim: int, now: float) -> None:
        """Refuse a claim on an id this room never gave out, but for a member of a
        re-created room coming back just after someone else re-created it."""
        if now < room.contest_until and claim < room.next_id + MAX_CLAIM_AHEAD:
            return
        raise PlaceTakenError(
            f"there was never an endpoint {claim} in session {room.id}; join again with"
            " the session code"
        )

    def _contest(self, room: Room[T], wanted: int, token: bytes | None, now: float) -> bool:
        """May this claim have *wanted*? True if it takes the id over; raise if it may not."""
        held = room.tokens.get(wanted)
        if held is None or (token is not None and hmac.compare_digest(held, token)):
            return False
        # Never the host's place: a stranger taking it late in the window would keep
        # the room, and the rep, refused, moves the session to its standby room.
        if wanted in room.unproven and now < room.contest_until and wanted != room.host:
            return True
        raise PlaceTakenError(
            f"that place in session {room.id} belongs to another connection (the rejoin"
            " token does not match); join again with the session code"
        )

    def answered(self, room_id: str, by: int, to: int) -> bool:
        """*by* sent *to* something; True if that was the host answering a joiner."""
        room = self._rooms.get(room_id)
        if room is None or by != room.host or to not in room.unanswered:
            return False
        del room.unanswered[to]
        room.heard.add(to)
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
        if target != by:
            # Removed for good: its place may not be taken back with its token.
            self._forget(room, target)
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
        self._depart(room, endpoint_id)
        closed_after = None
        if not room.members:
            del self._rooms[room_id]
            closed_after = now - room.created_at
        return Departure(room_id, endpoint_id, list(room.members.values()), closed_after)

    def _depart(self, room: Room[T], endpoint_id: int) -> None:
        """*endpoint_id* is gone: keep its token for its return, if it has one to make."""
        if endpoint_id not in room.heard:
            self._forget(room, endpoint_id)  # never in the session: nothing to come back to
        elif endpoint_id in room.tokens:
            room.away[endpoint_id] = None
            if len(room.away) > self._max_away:
                self._forget(room, next(iter(room.away)))

    @staticmethod
    def _forget(room: Room[T], endpoint_id: int) -> None:
        room.tokens.pop(endpoint_id, None)
        room.unproven.discard(endpoint_id)
        room.heard.discard(endpoint_id)
        room.away.pop(endpoint_id, None)

    def _add(self, room: Room[T], endpoint: T) -> int:
        endpoint_id = room.next_id
        if endpoint_id > MAX_ENDPOINT_ID:  # pragma: no cover - 2**31 joins in one room
            raise RoomFullError(f"session {room.id} has used up its endpoint ids")
        room.next_id += 1
        room.members[endpoint_id] = endpoint
        return endpoint_id
