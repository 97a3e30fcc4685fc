"""A rep and a customer in one session, each with its sharing side running, on a real relay.

The customer shares the test's Xvfb display; the rep shows its own desktop
from the same display (one machine plays both). Session events that carry
sharing messages are handed to the sharing side exactly as the CLI does.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import trio

from codec import DEFAULT_REASK_DELAY, JoinTarget
from peer._capture import Box, MssSource
from peer._events import MemberJoined, MessageReceived, SessionEvent
from peer._open import open_hosted_session, open_joined_session
from peer._share_backends import x11_backends
from peer._share_customer import CustomerSharing
from peer._share_events import ShareNotice
from peer._share_rep import RepSharing
from tests.peer.helpers import next_event

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from numpy.typing import NDArray

    from codec import Member
    from peer._host import HostSession
    from peer._session import MemberSession, Session
    from peer._share_backends import Backends
    from peer._share_events import ShareEvent

E = TypeVar("E")
WAIT = 15.0


@dataclass
class Pair:
    rep: HostSession
    customer: MemberSession
    rep_sharing: RepSharing
    customer_sharing: CustomerSharing
    display: str
    #: The rep's session events that are not for sharing (chat, joins, rejections).
    rep_events: trio.MemoryReceiveChannel[SessionEvent]

    def customer_member(self) -> Member:
        return self.rep.members[self.customer.id]


async def _pump(
    session: Session,
    sharing: RepSharing | CustomerSharing,
    other: trio.MemorySendChannel[SessionEvent] | None = None,
) -> None:
    async for event in session.events:
        if isinstance(event, MessageReceived):
            await sharing.receive(event.sender, event.message)
        elif other is not None:
            await other.send(event)


@asynccontextmanager
async def open_pair(
    relay: str,
    display: str,
    *,
    answer_timeout: float = 60.0,
    reask_delay: float = DEFAULT_REASK_DELAY,
    rep_display: str | None = None,
    customer_backends: Backends | None = None,
) -> AsyncIterator[Pair]:
    """*rep_display*: the rep's own screen and clipboard (default: the customer's display)."""
    backends = customer_backends or x11_backends(display)
    async with open_hosted_session(relay, "Alice") as rep:
        async with open_joined_session(JoinTarget(relay, rep.code), "Bob") as customer:
            await next_event(rep, MemberJoined)
            rep_other, rep_events = trio.open_memory_channel[SessionEvent](256)
            pair = Pair(
                rep,
                customer,
                RepSharing(rep, x11_backends(rep_display or display)),
                CustomerSharing(
                    customer, backends, answer_timeout=answer_timeout, reask_delay=reask_delay
                ),
                display,
                rep_events,
            )
            async with trio.open_nursery() as nursery:
                nursery.start_soon(pair.rep_sharing.run)
                nursery.start_soon(pair.customer_sharing.run)
                nursery.start_soon(_pump, rep, pair.rep_sharing, rep_other)
                nursery.start_soon(_pump, customer, pair.customer_sharing)
                await trio.lowlevel.checkpoint()
                yield pair
                nursery.cancel_scope.cancel()


async def next_share(sharing: RepSharing | CustomerSharing, kind: type[E]) -> E:
    """The next sharing event of *kind*; others before it are skipped."""
    with trio.fail_after(WAIT):
        async for event in sharing.events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"sharing events ended before a {kind.__name__}")


async def notice(sharing: RepSharing | CustomerSharing, words: str) -> str:
    """The text of the next sharing notice holding *words* (others are passed over)."""
    with trio.fail_after(WAIT):
        while True:
            event = await next_share(sharing, ShareNotice)
            if words in event.text:
                return event.text


def pending(sharing: RepSharing | CustomerSharing) -> list[ShareEvent]:
    out: list[ShareEvent] = []
    while True:
        try:
            out.append(sharing.events.receive_nowait())
        except trio.WouldBlock:
            return out


def display_pixels(display: str, box: Box | None = None) -> NDArray[np.uint8]:
    """What the X display shows now, as RGB (grabbed independently, with mss)."""
    source = MssSource(display)
    try:
        frame = source.grab(box or source.bounds())
    finally:
        source.close()
    return np.ascontiguousarray(frame[..., 2::-1])


async def settled_view(pair: Pair, expected: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The rep's picture once it equals *expected* (frames keep coming as it changes)."""
    view = pair.rep_sharing.view
    assert view is not None
    with trio.move_on_after(WAIT):
        while True:
            if view.frames and view.decoder.size == expected.shape[1::-1]:
                picture = view.picture()
                if np.array_equal(picture, expected):
                    return picture
            await view.frame_done.wait()
    return view.picture()
