"""How a dropped peer spaces its attempts to come back (SPEC X3: back-off with jitter).

The attempts themselves are stood in for (a relay down until a given time),
so the tests run on trio's mock clock, in no time.
"""

from __future__ import annotations

import itertools
import math
import random
from contextlib import AsyncExitStack
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest
import trio
import trio.testing

from codec import Limits
from peer import _reconnect
from peer._errors import RelayUnreachableError, SessionLostError
from peer._reconnect import FIRST_DELAY, MAX_DELAY, backoff

if TYPE_CHECKING:
    from peer._connection import RelayConnection


def test_delays_double_up_to_the_cap_each_in_the_upper_half_of_its_interval() -> None:
    delays = list(itertools.islice(backoff(random.Random(7)), 12))
    ceiling = FIRST_DELAY
    for delay in delays:
        assert ceiling / 2 <= delay <= ceiling
        ceiling = min(ceiling * 2, MAX_DELAY)
    assert max(delays) > MAX_DELAY / 2  # it does reach the cap


def test_peers_dropped_together_do_not_come_back_in_step() -> None:
    first = [list(itertools.islice(backoff(random.Random(seed)), 6)) for seed in range(50)]
    for attempt in range(6):
        assert len({round(delays[attempt], 6) for delays in first}) > 40


class DownUntil:
    """Connection attempts against a relay that answers from *back_at* on (the test's clock)."""

    def __init__(self, back_at: float) -> None:
        self.back_at = back_at
        self.tries: list[float] = []
        self.found = cast("RelayConnection", object())

    async def attempt(self, *_: object, **__: object) -> RelayConnection:
        self.tries.append(trio.current_time())
        if trio.current_time() < self.back_at:
            raise RelayUnreachableError("nothing is listening (connection refused)")
        return self.found


async def reconnect_within(
    within: float, relay: DownUntil, monkeypatch: pytest.MonkeyPatch
) -> RelayConnection:
    monkeypatch.setattr(_reconnect, "_attempt", relay.attempt)
    previous = cast("RelayConnection", SimpleNamespace(relay="ws://127.0.0.1:9", room="4821"))
    async with AsyncExitStack() as stack:
        return await _reconnect.reconnect(
            stack, previous, floor=None, limits=Limits(), within=within, why="the relay stopped"
        )


async def test_a_relay_back_a_moment_before_the_resume_time_ends_is_still_found(
    autojump_clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # By then the back-off spaces tries seconds apart: the next one would come too late.
    relay = DownUntil(trio.current_time() + 4.99)
    assert await reconnect_within(5.0, relay, monkeypatch) is relay.found


async def test_reconnecting_gives_up_after_a_last_try_at_the_resume_time(
    autojump_clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = trio.current_time()
    relay = DownUntil(math.inf)
    with pytest.raises(SessionLostError, match="reconnecting did not work within 5 s"):
        await reconnect_within(5.0, relay, monkeypatch)
    assert relay.tries[-1] == pytest.approx(start + 5.0)
    assert trio.current_time() == pytest.approx(start + 5.0)
