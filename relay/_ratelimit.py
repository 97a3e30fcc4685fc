"""Attempts per client address, as a token bucket per address.

Each address starts with a full bucket of ``per_minute`` tokens, refilled
continuously at ``per_minute / 60`` a second; an attempt costs one token.
The relay keeps one limiter for rooms created (each costs a token) and one
for joins it refused (:meth:`RateLimiter.spend`, after the fact: no such
room, a full room): a burst (a rep starting sessions, a customer retrying
a mistyped code) passes, a flood of rooms or a scan of room ids does not,
and joins that get in cost nothing, so customers behind one address (an
office's NAT) can keep joining. An address that has run out is refused
every join, whether its room exists or not, so the answers reveal nothing
about which rooms exist.

A full bucket carries no information, so it is forgotten, which keeps
memory proportional to the addresses active in the last minute; a hard cap
on tracked addresses bounds it even under a flood of spoofed ones.
"""

from __future__ import annotations

__all__ = ["RateLimiter"]

#: Addresses tracked at most; past it, the least recently seen are forgotten
#: (which lets them in again early, the safe direction for a legitimate user).
MAX_TRACKED_ADDRESSES = 100_000


class RateLimiter:
    def __init__(self, per_minute: int, *, max_tracked: int = MAX_TRACKED_ADDRESSES) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._max_tracked = max_tracked
        # address -> (tokens, time of last update); dicts keep insertion order,
        # and each update re-inserts, so the first entries are the stalest.
        self._buckets: dict[str, tuple[float, float]] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, address: str, now: float) -> bool:
        """Spend one attempt for *address*; False if it has none left."""
        tokens = self._tokens(address, now)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets.pop(address, None)
        self._buckets[address] = (tokens, now)
        if len(self._buckets) > self._max_tracked:
            self.prune(now)
        return allowed

    def may(self, address: str, now: float) -> bool:
        """Whether *address* has an attempt left (nothing is spent)."""
        return self._tokens(address, now) >= 1.0

    def spend(self, address: str, now: float) -> None:
        """Spend one attempt for *address* after the fact (never below none left)."""
        tokens = max(0.0, self._tokens(address, now) - 1.0)
        self._buckets.pop(address, None)
        self._buckets[address] = (tokens, now)
        if len(self._buckets) > self._max_tracked:
            self.prune(now)

    def retry_after(self, address: str, now: float) -> float:
        """Seconds until *address* may try again (0 if it may now)."""
        return max(0.0, (1.0 - self._tokens(address, now)) / self._rate)

    def prune(self, now: float) -> None:
        """Forget full buckets, then the stalest ones if still over the cap."""
        for address in [a for a in self._buckets if self._tokens(a, now) >= self._capacity]:
            del self._buckets[address]
        while len(self._buckets) > self._max_tracked:
            del self._buckets[next(iter(self._buckets))]

    def _tokens(self, address: str, now: float) -> float:
        entry = self._buckets.get(address)
        if entry is None:
            return self._capacity
        tokens, then = entry
        return min(self._capacity, tokens + max(0.0, now - then) * self._rate)
