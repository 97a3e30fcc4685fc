"""A room of session machines wired by a fake relay, for tests that play the attacker.

:class:`Room` is h11's ``ConnectionPair`` idea grown to a whole session: one
:class:`~codec.HostRules` and any number of :class:`~codec.MemberRules`,
with a relay in the middle that delivers every payload in order, records
what it saw (``wire``), and can be made hostile: a ``tamper`` hook that
drops, alters or redirects payloads, forged departures, and invented
endpoints that send whatever a test builds from codec's own pieces.

A transfer of control (SPEC M5) replaces an endpoint's machine: the room
follows each step's ``successor`` (``current``) and the relay's idea of the
host (``door``), to which joiners then send their handshakes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from codec import (
    Disconnect,
    HandOverDoor,
    HostRules,
    MemberRules,
    Role,
    RoomMoved,
    SessionCode,
    SessionTimings,
    Transmit,
)

if TYPE_CHECKING:
    from codec import RulesEvent, SessionRules, Step

HOST = 1
NOW = 1000.0
CODE = SessionCode("48219376", 3, "093617")
TIMINGS = SessionTimings()
E = TypeVar("E")

#: (sender, receiver, payload) -> the payloads to deliver instead.
Tamper = Callable[[int, int, bytes], list[bytes]]


@dataclass
class Room:
    host: HostRules = field(default_factory=lambda: HostRules(HOST, "Alice", CODE))
    members: dict[int, MemberRules] = field(default_factory=dict)
    now: float = NOW
    #: Every payload the relay carried: (sender, receiver, payload).
    wire: list[tuple[int, int, bytes]] = field(default_factory=list)
    events: dict[int, list[RulesEvent]] = field(default_factory=dict)
    kicked: list[int] = field(default_factory=list)
    tamper: Tamper | None = None
    #: Payloads for endpoints no machine runs (an attacker's own endpoints).
    outside: dict[int, list[tuple[int, bytes]]] = field(default_factory=dict)
    #: Endpoints whose connection is down: the relay drops what they send or get.
    offline: set[int] = field(default_factory=set)
    #: Machines that replaced an endpoint's first one (a transfer of control).
    current: dict[int, SessionRules] = field(default_factory=dict)
    #: The endpoint the relay sends joiners to.
    door: int = HOST
    _queue: deque[tuple[int, int, bytes]] = field(default_factory=deque)

    def machine(self, eid: int) -> SessionRules | None:
        if eid in self.current:
            return self.current[eid]
        return self.host if eid == HOST else self.members.get(eid)

    def controller(self) -> HostRules:
        """The machine that runs the door now."""
        machine = self.machine(self.door)
        assert isinstance(machine, HostRules)
        return machine

    def apply(self, eid: int, step: Step) -> Step:
        for action in step.actions:
            match action:
                case Transmit(to, payload):
                    self._queue.append((eid, to, payload))
                case Disconnect(victim):
                    self.kicked.append(victim)
                case HandOverDoor(to):
                    self.door = to
        self.events.setdefault(eid, []).extend(step.events)
        if step.successor is not None:
            self.current[eid] = step.successor
        return step

    def send(self, sender: int, to: int, payload: bytes) -> None:
        """An endpoint with no machine (the attacker) sends *payload*."""
        self._queue.append((sender, to, payload))

    def flush(self) -> None:
        for _ in range(100_000):  # machines that keep answering each other are a bug
            if not self._queue:
                return
            sender, to, payload = self._queue.popleft()
            self.wire.append((sender, to, payload))
            if sender in self.offline or to in self.offline:
                continue
            delivered = [payload] if self.tamper is None else self.tamper(sender, to, payload)
            for item in delivered:
                target = self.machine(to)
                if target is None:
                    self.outside.setdefault(to, []).append((sender, item))
                else:
                    self.apply(to, target.receive(sender, item, self.now))
        raise AssertionError("the machines never stop answering each other")

    def join(
        self,
        eid: int,
        name: str,
        code: SessionCode | None = None,
        *,
        timings: SessionTimings = TIMINGS,
        machine: type[MemberRules] = MemberRules,
        assist: bool = False,
    ) -> MemberRules:
        code = code or self.controller().code
        member = machine(eid, self.door, name, code, timings=timings, assist=assist)
        self.members[eid] = member
        self.apply(eid, member.start(self.now))
        self.flush()
        return member

    def relay_says_left(self, eid: int, *, tell: list[int] | None = None) -> None:
        """The relay reports *eid* gone, to the host and to *tell* (default: every member)."""
        for other in [HOST, *(self.members if tell is None else tell)]:
            machine = self.machine(other)
            if machine is not None and other != eid:
                self.apply(other, machine.endpoint_left(eid, self.now))
        self.flush()

    def drop(self, *eids: int) -> None:
        """The connections of *eids* break (a relay restart breaks everyone's)."""
        for eid in eids:
            self.offline.add(eid)
            machine = self.machine(eid)
            if machine is not None:
                self.apply(eid, machine.connection_lost(self.now))

    def reconnect(self, eid: int, *, host: int | None = None) -> None:
        """*eid* is connected again, with the same endpoint id; the relay names *host*.

        Should its machine move the session to another room (a stranger named
        host), it connects there as the peer does, with no host check.
        """
        self.offline.discard(eid)
        machine = self.machine(eid)
        if machine is not None:
            step = self.apply(eid, machine.reconnected(self.now, host=host))
            if any(isinstance(e, RoomMoved) for e in step.events):
                self.apply(eid, machine.reconnected(self.now))
        self.flush()

    def everyone(self) -> list[int]:
        return [HOST, *self.members]

    def advance(self, seconds: float) -> None:
        """Let time pass, calling every machine back at each deadline on the way."""
        end = self.now + seconds
        for _ in range(10_000):  # a deadline that never clears is a bug, not a hang
            due = [
                (d, eid)
                for eid in [HOST, *self.members]
                if (m := self.machine(eid)) is not None and (d := m.next_deadline()) is not None
            ]
            upcoming = min((d for d, _ in due if d <= end), default=None)
            if upcoming is None:
                self.now = end
                return
            self.now = max(self.now, upcoming)
            for d, eid in due:
                machine = self.machine(eid)
                if d <= self.now and machine is not None:
                    self.apply(eid, machine.tick(self.now))
            self.flush()
        raise AssertionError("a machine's deadline stays due after tick()")

    def of(self, eid: int, kind: type[E]) -> list[E]:
        return [e for e in self.events.get(eid, []) if isinstance(e, kind)]

    def frames(self, sender: int, to: int) -> list[bytes]:
        return [p for s, t, p in self.wire if (s, t) == (sender, to)]


def support_room() -> Room:
    """Alice the rep (HOST), Bob (2) and Carol (3) customers, Dave (4) an assistant."""
    room = Room()
    room.join(2, "Bob")
    room.join(3, "Carol")
    room.apply(HOST, room.host.issue_code(Role.ASSISTANT, room.now))
    room.join(4, "Dave", assist=True)
    return room
