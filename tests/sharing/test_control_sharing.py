"""Only the controlling rep starts an activity, as the customer's own side enforces it
(SPEC M4, M5), and a transfer of control ends what was shared on both sides."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from codec import Activity, ConsentState, JoinTarget
from peer._events import MessageReceived
from peer._open import open_joined_session
from peer._share_backends import x11_backends
from peer._share_events import ConsentAsked, ShareNotice, ViewOpened
from peer._share_rep import RepSharing
from tests.sharing.pair import Pair, next_share, notice, open_pair, pending
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from peer._session import Session


async def pump(session: Session, sharing: RepSharing) -> None:
    async for event in session.events:
        if isinstance(event, MessageReceived):
            await sharing.receive(event.sender, event.message)


@asynccontextmanager
async def assistant(pair: Pair) -> AsyncIterator[RepSharing]:
    """Dave joins as an assistant; his sharing side runs until the block ends."""
    await pair.rep.assistant_code()
    target = JoinTarget(pair.rep.relay, pair.rep.code)
    async with (
        open_joined_session(target, "Dave", assist=True) as dave,
        trio.open_nursery() as nursery,
    ):
        sharing = RepSharing(dave, x11_backends(pair.display))
        nursery.start_soon(sharing.run)
        nursery.start_soon(pump, dave, sharing)
        yield sharing
        nursery.cancel_scope.cancel()


async def test_an_assistants_request_is_refused_by_the_customer_and_both_are_told(
    relay_url: str, xdisplay: str
) -> None:
    async with open_probe(xdisplay), open_pair(relay_url, xdisplay) as pair:
        async with assistant(pair) as dave_sharing:
            # Dave's peer skips the face's own check and asks Bob directly.
            bob = pair.customer_member()
            await dave_sharing.ask(bob, Activity.VIEW_DESKTOP)
            text = await notice(dave_sharing, "was not asked")
            assert text == (
                "Bob was not asked to let you view their desktop: "
                "only the controlling rep can ask to share a screen."
            )
            refused = await next_share(pair.customer_sharing, ShareNotice)
            assert refused.text == (
                "! Refused Dave's request: only the controlling rep can ask to share a screen"
            )
            assert not any(isinstance(e, ConsentAsked) for e in pending(pair.customer_sharing))


async def test_a_transfer_of_control_ends_the_view_on_both_sides(
    relay_url: str, xdisplay: str
) -> None:
    async with open_probe(xdisplay), open_pair(relay_url, xdisplay) as pair:
        async with assistant(pair):
            bob = pair.customer_member()
            await pair.rep_sharing.ask(bob, Activity.VIEW_DESKTOP)
            await next_share(pair.customer_sharing, ConsentAsked)
            await pair.customer_sharing.answer("y")
            await next_share(pair.rep_sharing, ViewOpened)
            await pair.rep.transfer_control("Dave")
            assert await notice(pair.customer_sharing, "stopped") == (
                "* Sharing stopped: control of the session moved to Dave"
            )
            await notice(pair.rep_sharing, "Sharing ended: control of the session moved to Dave")
            assert all(
                m.state is ConsentState.NOTHING_SHARED
                for m in pair.customer_sharing.consent_machines()
            )
