"""How a dropped peer spaces its attempts to come back (SPEC X3: back-off with jitter)."""

from __future__ import annotations

import itertools
import random

from peer._reconnect import FIRST_DELAY, MAX_DELAY, backoff


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
