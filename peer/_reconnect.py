"""Coming back to the relay after a drop (SPEC X3): the same room, the same endpoint id.

A relay that restarted knows nothing, so the host re-creates its room
(asking for its old id, and keeping the ids below a floor for the members
on their way back) and members join it again asking for theirs; a relay
that only lost one connection still has the room, and a member's new
connection takes the place of its dead one, showing the rejoin token the
relay's first Welcome gave it (a relay that restarted takes the token
from whoever claims the id first, so it stays the same). Either way the endpoint ids
stay what the session's channels were keyed on, and ``codec._resume``
does the rest end to end.

Attempts are spaced by exponential back-off with full jitter, so a relay
restarting under a thousand sessions is not met by a thousand reconnects
in the same millisecond; the first one comes quickly, because most drops
are a blip. The whole search is bounded by the session's resume timeout,
and its last try is made at that time, however far apart the back-off has
spaced the ones before.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

import trio

from peer._connection import open_relay_connection
from peer._errors import (
    ConnectionLostError,
    RelayRefusedError,
    RelayUnreachableError,
    SessionLostError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextlib import AbstractAsyncContextManager, AsyncExitStack

    from codec import Limits
    from peer._connection import RelayConnection

__all__ = ["backoff", "reconnect"]

log = logging.getLogger("helpline.peer")

#: The first retry comes after about this long; each later one up to twice as late.
FIRST_DELAY = 0.25
#: ... but never more than this apart, so a relay back after a minute is found soon.
MAX_DELAY = 8.0
#: The first attempt's connect time-out, in seconds; each later one waits a second more.
FIRST_CONNECT = 1.0
#: A member whose relay is up but has no room yet (the host has not re-created
#: it) asks again within this long, whatever the back-off had reached.
ROOM_DELAY = 0.5


def backoff(rng: random.Random | None = None) -> Iterator[float]:
    """Delays between attempts: doubling from FIRST_DELAY to MAX_DELAY, each jittered."""
    pick = rng or random.Random()
    ceiling = FIRST_DELAY
    while True:
        # "Full jitter" over the upper half: spread out, yet never much too soon.
        yield pick.uniform(ceiling / 2, ceiling)
        ceiling = min(ceiling * 2, MAX_DELAY)


async def reconnect(
    stack: AsyncExitStack,
    previous: RelayConnection,
    *,
    room: str | None = None,
    floor: int | None,
    limits: Limits,
    within: float,
    why: str,
) -> RelayConnection:
    """A new connection in *previous*'s room (or *room*) with its endpoint id, owned by *stack*.

    *floor* is set for the host (it re-creates the room if the relay lost
    it); None for a member. *room* is where the session moved to, when a
    stranger held its room. Raises SessionLostError after *within* seconds.
    """
    give_up_at = trio.current_time() + within
    delays = backoff()
    last = why
    attempts = 0
    while True:
        attempts += 1
        delay = None
        try:
            # Not under a deadline of ours: the connection it opens outlives this
            # call, and each attempt is bounded by the connect timeout already.
            return await _attempt(
                stack,
                previous,
                room=room or previous.room,
                floor=floor,
                limits=limits,
                within=_connect_within(attempts),
            )
        except RelayRefusedError as e:
            last = str(e)
            if e.reason == "no-such-room":
                # The relay is up and the host is on its way: ask again soon, and
                # start backing off afresh should the relay go away again.
                delays, delay = backoff(), random.uniform(ROOM_DELAY / 2, ROOM_DELAY)
        except (RelayUnreachableError, ConnectionLostError) as e:
            last = str(e)
        log.info("reconnecting to %s, attempt %d: %s", previous.relay, attempts, last)
        left = give_up_at - trio.current_time()
        if left <= 0:
            break
        # A wait the back-off grew past the give-up time ends at that time, and
        # one more try is made there: a relay back a moment before it is found.
        wait = next(delays) if delay is None else delay
        await trio.sleep(min(wait, left))
    raise SessionLostError(
        f"{why}; reconnecting did not work within {within:g} s (last try: {last})"
    )


def _connect_within(attempt: int) -> float:
    """A connect time-out that starts short: a live relay answers in milliseconds, and
    one attempt caught by a relay that was dying must not hold up the next."""
    return FIRST_CONNECT + attempt


async def _attempt(
    stack: AsyncExitStack,
    previous: RelayConnection,
    *,
    room: str,
    floor: int | None,
    limits: Limits,
    within: float,
) -> RelayConnection:
    def connect(create: bool) -> AbstractAsyncContextManager[RelayConnection]:
        return open_relay_connection(
            previous.relay,
            room,
            create=create,
            limits=limits,
            relay_timeout=previous.relay_timeout,
            endpoint_id=previous.id,
            floor=floor or 0,
            # Without it the relay gives our place to nobody, us included.
            token=previous.welcome.token,
            probe=False,
            connect_within=within,
        )

    if floor is not None:
        try:
            return await stack.enter_async_context(connect(create=True))
        except RelayRefusedError as e:
            if e.reason != "room-exists":
                raise
            # The relay kept the room (only our connection dropped): take our place in it.
    return await stack.enter_async_context(connect(create=False))
