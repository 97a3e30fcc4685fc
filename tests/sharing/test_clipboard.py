"""Clipboard text both ways while control is on, never while only viewing (SPEC R3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from codec import Activity, ClipboardText
from peer._share_events import ConsentAsked, ShareNotice, ShareRejected, ViewOpened
from tests.sharing.pair import next_share, open_pair, pending
from tests.sharing.test_sharing import start
from tests.x11.probe import open_probe
from tests.x11.xvfb import open_xvfb

if TYPE_CHECKING:
    from tests.sharing.pair import Pair
    from tests.x11.probe import Probe


async def grant(pair: Pair, activity: Activity) -> None:
    await pair.rep_sharing.ask(pair.customer_member(), activity)
    await next_share(pair.customer_sharing, ConsentAsked)
    await pair.customer_sharing.answer("y")
    await next_share(pair.rep_sharing, ViewOpened)


async def pasted(probe: Probe, want: str | None, tries: int = 50) -> str | None:
    """What the window pastes, asked until it is *want* (the text travels meanwhile)."""
    got = None
    for _ in range(tries):
        await probe.console.send("paste")
        got = (await probe.next("paste"))["paste"]
        if got == want:
            break
    return got


async def test_text_copied_on_either_side_can_be_pasted_on_the_other(
    relay_url: str, xdisplay: str
) -> None:
    with open_xvfb() as rep_display:
        async with (
            open_probe(xdisplay, title="Customer app") as customer_app,
            open_probe(rep_display, title="Rep app") as rep_app,
            open_pair(relay_url, xdisplay, rep_display=rep_display) as pair,
        ):
            await grant(pair, Activity.CONTROL_DESKTOP)
            await customer_app.command("copy error 0x80070005 — Zugriff verweigert")
            assert await pasted(rep_app, "error 0x80070005 — Zugriff verweigert") == (
                "error 0x80070005 — Zugriff verweigert"
            )
            await rep_app.command("copy ipconfig /flushdns")
            assert await pasted(customer_app, "ipconfig /flushdns") == "ipconfig /flushdns"


async def test_no_clipboard_while_only_viewing(relay_url: str, xdisplay: str) -> None:
    with open_xvfb() as rep_display:
        async with (
            open_probe(xdisplay, title="Customer app") as customer_app,
            open_probe(rep_display, title="Rep app") as rep_app,
            open_pair(relay_url, xdisplay, rep_display=rep_display) as pair,
        ):
            await grant(pair, Activity.VIEW_DESKTOP)
            await customer_app.command("copy my password")
            await trio.sleep(0.5)  # time for a copy to travel, were it sent
            await pair.rep.send_message(pair.customer.id, ClipboardText("rm -rf ~"))
            rejected = await next_share(pair.customer_sharing, ShareRejected)
            assert rejected.reason == "clipboard text without control granted; it was not written"
            assert await pasted(customer_app, "my password", tries=1) == "my password"
            assert await pasted(rep_app, None, tries=1) is None
            assert not [e for e in pending(pair.rep_sharing) if isinstance(e, ShareRejected)]


async def test_under_control_of_one_application_only_its_copies_reach_the_rep(
    relay_url: str, xdisplay: str
) -> None:
    with open_xvfb() as rep_display:
        async with (
            open_probe(xdisplay, x=0, y=0, width=300, height=200, title="Calculator") as calc,
            open_probe(xdisplay, x=400, y=0, width=300, height=200, title="KeePass") as keepass,
            open_probe(rep_display, title="Rep app") as rep_app,
            open_pair(relay_url, xdisplay, rep_display=rep_display) as pair,
        ):
            await start(pair, Activity.CONTROL_APP, title="Calculator")
            await next_share(pair.rep_sharing, ViewOpened)
            await keepass.command("copy hunter2-bank-password")  # the customer, elsewhere
            while not (
                told := await next_share(pair.customer_sharing, ShareNotice)
            ).text.startswith("* Not sent"):
                pass  # the grant's own lines
            assert told.text == (
                "* Not sent to Alice: what you copied outside “Calculator” (pasted into"
                " “Calculator”, it would show on their screen)."
            )
            assert await pasted(rep_app, None, tries=1) is None
            await calc.command("copy 1234.5")
            assert await pasted(rep_app, "1234.5") == "1234.5"
            await rep_app.command("copy 42")  # the rep's text still reaches the customer
            assert await pasted(calc, "42") == "42"
