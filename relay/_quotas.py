"""What one address may hold open, and how many bytes the relay may hold queued.

Theory of operation
-------------------
:class:`AddressQuota` counts what each client address holds open right now
(connections, rooms) against a cap; an address holding nothing is forgotten,
so memory follows the addresses that are connected.

:class:`BufferBudget` bounds the bytes queued for receivers, per receiver
and across all of them. A receiver with nothing queued always takes one
message: a live receiver drains, so its sessions keep moving (one message
at a time) however many stalled receivers hold the rest of the budget, and
a message larger than a receiver's budget still goes through, alone. The
relay's queued bytes therefore stay under ``total_bytes`` plus one message
per receiver that was empty when the budget ran out.

Both are plain bookkeeping: no IO, no clock.
"""

from __future__ import annotations

from collections import Counter

__all__ = ["AddressQuota", "BufferBudget"]


class AddressQuota:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._held)

    def held(self, address: str) -> int:
        return self._held[address]

    def take(self, address: str) -> bool:
        """Take one for *address*; False (and nothing taken) if it holds its limit."""
        if self._held[address] >= self.limit:
            return False
        self._held[address] += 1
        return True

    def give_back(self, address: str) -> None:
        left = self._held[address] - 1
        if left > 0:
            self._held[address] = left
        else:
            del self._held[address]


class BufferBudget:
    def __init__(self, *, per_receiver_bytes: int, total_bytes: int) -> None:
        self.per_receiver_bytes = per_receiver_bytes
        self.total_bytes = total_bytes
        self.used = 0

    def admits(self, receiver_bytes: int, n: int) -> bool:
        """May a receiver holding *receiver_bytes* queue *n* more now?"""
        if not receiver_bytes:
            return True
        return receiver_bytes + n <= self.per_receiver_bytes and self.used + n <= self.total_bytes

    def charge(self, n: int) -> None:
        self.used += n

    def release(self, n: int) -> None:
        self.used -= n
