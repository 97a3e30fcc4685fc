"""Consent is enforced on the customer's side: before a yes, after a no, after a stop,
and against a rep peer that skips its own checks (DESIGN: Security model)."""

from __future__ import annotations

import trio

from codec import (
    Activity,
    ConsentGrant,
    ConsentRequest,
    CreditGrant,
    KeyInput,
    Message,
    PointerButton,
    PointerMotion,
    ScreenUpdate,
)
from peer._events import ChatReceived
from peer._share_events import ConsentAsked, ShareNotice, ShareRejected, ViewOpened
from tests.peer.wiretap import Wiretap, open_wiretap, sealed_delivery
from tests.sharing.pair import Pair, next_share, open_pair
from tests.x11.probe import open_probe


def bytes_from(tap: Wiretap, sender: int, since: int = 0) -> int:
    """Sealed bytes the relay delivered from endpoint *sender* (recorded from *since* on)."""
    total = 0
    for message in tap.recorded[since:]:
        env = sealed_delivery(message)
        if env is not None and env.sender == sender:
            total += len(env.payload)
    return total


async def round_trip(pair: Pair, text: str) -> None:
    """A chat from the customer that the rep receives: everything sent before it has arrived."""
    await pair.customer.send_chat(text)
    with trio.fail_after(10):
        async for event in pair.rep_events:
            if isinstance(event, ChatReceived) and event.text == text:
                return


async def test_nothing_leaves_before_consent_or_after_a_refusal(
    relay_url: str, xdisplay: str
) -> None:
    async with open_probe(xdisplay) as probe, open_wiretap(relay_url) as tap:
        async with open_pair(tap.url, xdisplay) as pair:
            start = len(tap.recorded)
            await pair.rep_sharing.ask(pair.customer_member(), Activity.VIEW_DESKTOP)
            await next_share(pair.customer_sharing, ConsentAsked)
            await probe.command("pattern 1")  # the screen changes while the question is open
            await pair.customer_sharing.answer("n")
            notice = await next_share(pair.rep_sharing, ShareNotice)
            notice = await next_share(pair.rep_sharing, ShareNotice)
            assert notice.text == "Bob declined: you may not view their desktop."
            await probe.command("pattern 2")
            await round_trip(pair, "after the refusal")
            # A refusal and a chat line: a few hundred bytes, never a screen.
            assert bytes_from(tap, pair.customer.id, start) < 600
            assert pair.rep_sharing.view is None


async def test_nothing_leaves_after_stop_and_input_after_stop_is_dropped(
    relay_url: str, xdisplay: str
) -> None:
    async with open_probe(xdisplay) as probe, open_wiretap(relay_url) as tap:
        # The wait before asking again after a stop has its own test; here the
        # rep asks again at once, to show that the next click is a granted one.
        async with open_pair(tap.url, xdisplay, reask_delay=0.0) as pair:
            await pair.rep_sharing.ask(pair.customer_member(), Activity.CONTROL_DESKTOP)
            await next_share(pair.customer_sharing, ConsentAsked)
            await pair.customer_sharing.answer("y")
            view = (await next_share(pair.rep_sharing, ViewOpened)).view
            with trio.fail_after(10):
                while not view.frames:
                    await view.frame_done.wait()
            assert bytes_from(tap, pair.customer.id) > 25_000  # the keyframe, random pixels and all
            await pair.customer_sharing.stop()
            await round_trip(pair, "stopped")
            after_stop = len(tap.recorded)
            await probe.command("pattern 4")
            await pair.rep.send_message(pair.customer.id, PointerButton(1, True, 150, 150))
            await pair.rep.send_message(pair.customer.id, PointerButton(1, False, 150, 150))
            rejected = await next_share(pair.customer_sharing, ShareRejected)
            assert rejected.reason == "input sent without control granted; it was not injected"
            await round_trip(pair, "still stopped")
            assert bytes_from(tap, pair.customer.id, after_stop) < 400
            await _first_click_is_a_granted_one(pair, probe)


async def _first_click_is_a_granted_one(pair: Pair, probe) -> None:  # type: ignore[no-untyped-def]
    """Grant control, click at (7, 9) in the window: the window's first click is that one."""
    await pair.rep_sharing.ask(pair.customer_member(), Activity.CONTROL_DESKTOP)
    await next_share(pair.customer_sharing, ConsentAsked)
    await pair.customer_sharing.answer("y")
    await next_share(pair.rep_sharing, ViewOpened)
    x, y, _, _ = probe.box
    await pair.rep_sharing.send_input(PointerMotion(x + 30, y + 30))  # as a viewer does first
    await pair.rep_sharing.send_input(PointerMotion(x + 7, y + 9))
    await pair.rep_sharing.send_input(PointerButton(1, True, x + 7, y + 9))
    await pair.rep_sharing.send_input(PointerButton(1, False, x + 7, y + 9))
    assert (await probe.next("click"))["click"] == [7, 9, 1]


async def test_a_hostile_rep_peer_gets_no_input_no_grant_and_no_screen(
    relay_url: str, xdisplay: str
) -> None:
    async with open_probe(xdisplay) as probe, open_wiretap(relay_url) as tap:
        async with open_pair(tap.url, xdisplay) as pair:
            start = len(tap.recorded)
            rep, bob = pair.rep, pair.customer.id
            x, y, _, _ = probe.box
            forged: list[tuple[Message, str]] = [
                (PointerButton(1, True, x + 50, y + 50), "input sent without control granted"),
                (KeyInput(0, True, "x"), "input sent without control granted"),
                (ConsentGrant(Activity.CONTROL_DESKTOP, rep.id), "is not for the customer"),
                (CreditGrant(8, keyframe=True), "screen requested without the customer's consent"),
                (ScreenUpdate(b"\x99" * 64), "a screen the customer did not agree to see"),
                (ConsentRequest(Activity.VIEW_DESKTOP, rep.id + 1), "in another rep's name"),
            ]
            for message, _ in forged:
                await rep.send_message(bob, message)
            for _, reason in forged:
                rejected = await next_share(pair.customer_sharing, ShareRejected)
                assert (rejected.sender, reason in rejected.reason) == ("Alice", True)
            await round_trip(pair, "after the forgeries")
            assert bytes_from(tap, bob, start) < 400
            assert pair.customer_sharing.status() == "Nothing is shared."
            await _first_click_is_a_granted_one(pair, probe)
