"""Screen sharing and control end to end: real relay, real Xvfb, a real Tk window (SPEC R1-R3)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import trio
from PIL import Image

from codec import Activity, ActivityStatus, KeyInput, PointerButton, PointerMotion
from peer._capture import Box
from peer._share_events import ConsentAsked, ShareNotice, ShareRejected, ViewClosed, ViewOpened
from tests.sharing.pair import (
    Pair,
    display_pixels,
    next_share,
    notice,
    open_pair,
    pending,
    settled_view,
)
from tests.x11.probe import open_probe
from tests.x11.xvfb import open_xvfb, set_monitors

if TYPE_CHECKING:
    from pathlib import Path


async def start(pair: Pair, activity: Activity, answer: str = "y", title: str = "") -> None:
    """The rep asks, the customer sees the question and types *answer*."""
    await pair.rep_sharing.ask(pair.customer_member(), activity, title)
    await next_share(pair.customer_sharing, ConsentAsked)
    await pair.customer_sharing.answer(answer)


async def test_the_customer_is_asked_with_the_reps_name_and_the_activity(
    relay_url: str, xdisplay: str
) -> None:
    async with open_pair(relay_url, xdisplay) as pair:
        await pair.rep_sharing.ask(pair.customer_member(), Activity.CONTROL_DESKTOP)
        asked = await next_share(pair.customer_sharing, ConsentAsked)
        assert asked.prompt == (
            "Alice (rep) asks to control your desktop (mouse, keyboard, clipboard). Allow? [y/N]"
        )


async def test_the_snapshot_equals_the_display_pixel_for_pixel(
    relay_url: str, xdisplay: str, tmp_path: Path
) -> None:
    async with open_probe(xdisplay) as probe, open_pair(relay_url, xdisplay) as pair:
        await start(pair, Activity.VIEW_DESKTOP)
        await next_share(pair.rep_sharing, ViewOpened)
        expected = display_pixels(xdisplay)
        await settled_view(pair, expected)
        pair.rep_sharing.snapshot(str(tmp_path / "shot.png"))
        assert np.array_equal(np.asarray(Image.open(tmp_path / "shot.png")), expected)
        await probe.command("pattern 2")
        changed = display_pixels(xdisplay)
        assert not np.array_equal(changed, expected)
        await settled_view(pair, changed)
        pair.rep_sharing.snapshot(str(tmp_path / "again.png"))
        assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png")), changed)


async def test_an_application_view_holds_only_that_windows_pixels(
    relay_url: str, xdisplay: str
) -> None:
    async with (
        open_probe(xdisplay, x=100, y=80, width=420, height=280, title="Ledger") as ledger,
        open_probe(xdisplay, x=400, y=250, width=200, height=150, title="Popup") as popup,
        open_pair(relay_url, xdisplay) as pair,
    ):
        await popup.command("raise")
        await start(pair, Activity.VIEW_APP, title="ledger")
        opened = await next_share(pair.rep_sharing, ViewOpened)
        assert "Ledger" in opened.banner
        x, y, w, h = ledger.box
        expected = display_pixels(xdisplay, Box(x, y, w, h)).copy()
        px, py, _, _ = popup.box
        expected[py - y :, px - x :] = 0  # the popup covers this corner: blanked, not sent
        picture = await settled_view(pair, expected)
        assert np.array_equal(picture, expected)


async def test_clicks_and_typed_text_reach_the_window_where_the_rep_put_them(
    relay_url: str, xdisplay: str
) -> None:
    async with open_probe(xdisplay, x=100, y=80) as probe, open_pair(relay_url, xdisplay) as pair:
        await start(pair, Activity.CONTROL_DESKTOP)
        await next_share(pair.rep_sharing, ViewOpened)
        assert pair.rep_sharing.control
        for event in (
            PointerMotion(100 + 40, 80 + 30),
            PointerButton(1, True, 100 + 40, 80 + 30),
            PointerButton(1, False, 100 + 40, 80 + 30),
        ):
            await pair.rep_sharing.send_input(event)
        assert (await probe.next("click"))["click"] == [40, 30, 1]
        for char in "Hi é€":
            await pair.rep_sharing.send_input(KeyInput(0, True, char))
            await pair.rep_sharing.send_input(KeyInput(0, False, char))
        await pair.rep_sharing.send_input(KeyInput(0xFF0D, True))  # Return, as a key
        await pair.rep_sharing.send_input(KeyInput(0xFF0D, False))
        assert await probe.typed(5) == "Hi é€"
        assert (await probe.next("key"))["key"] == "Return"


async def test_an_application_under_control_gets_clicks_in_its_own_coordinates(
    relay_url: str, xdisplay: str
) -> None:
    async with (
        open_probe(xdisplay, x=300, y=200, title="Notes") as probe,
        open_pair(relay_url, xdisplay) as pair,
    ):
        await start(pair, Activity.CONTROL_APP, title="Notes")
        await next_share(pair.rep_sharing, ViewOpened)
        await pair.rep_sharing.send_input(PointerButton(1, True, 12, 34))
        await pair.rep_sharing.send_input(PointerButton(1, False, 12, 34))
        assert (await probe.next("click"))["click"] == [12, 34, 1]


async def test_without_a_title_the_customer_picks_the_window(relay_url: str, xdisplay: str) -> None:
    async with (
        open_probe(xdisplay, title="First") as _first,
        open_probe(xdisplay, x=600, title="Second") as _second,
        open_pair(relay_url, xdisplay) as pair,
    ):
        await pair.rep_sharing.ask(pair.customer_member(), Activity.VIEW_APP)
        asked = await next_share(pair.customer_sharing, ConsentAsked)
        assert asked.prompt.endswith("Share which? [1-2, Enter: none]")
        number = next(n for n, line in enumerate(asked.choices, 1) if "Second" in line)
        await pair.customer_sharing.answer(str(number))
        assert "“Second”" in (await next_share(pair.rep_sharing, ViewOpened)).banner


async def test_a_title_that_matches_no_window_asks_the_customer_to_pick_one(
    relay_url: str, xdisplay: str
) -> None:
    # Not a silent "no such window": a rep could test titles without the customer knowing.
    async with (
        open_probe(xdisplay, title="First") as _first,
        open_probe(xdisplay, x=600, title="Second") as _second,
        open_pair(relay_url, xdisplay) as pair,
    ):
        await pair.rep_sharing.ask(pair.customer_member(), Activity.VIEW_APP, "Wells Fargo")
        asked = await next_share(pair.customer_sharing, ConsentAsked)
        assert asked.prompt.endswith("Share which? [1-2, Enter: none]")
        assert "Wells Fargo" not in asked.prompt


async def test_the_customers_stop_ends_the_view_on_both_sides(
    relay_url: str, xdisplay: str
) -> None:
    async with open_pair(relay_url, xdisplay) as pair:
        await start(pair, Activity.VIEW_DESKTOP)
        await next_share(pair.rep_sharing, ViewOpened)
        assert "Bob views" not in pair.customer_sharing.status()
        assert pair.customer_sharing.status() == "Alice views your desktop (no control)"
        await pair.customer_sharing.stop()
        await next_share(pair.rep_sharing, ViewClosed)
        assert pair.rep_sharing.view is None
        assert pair.customer_sharing.status() == "Nothing is shared."
        assert pair.rep_sharing.status() == "Nothing is shared."


async def test_after_the_customers_stop_the_same_rep_must_wait_before_asking_again(
    relay_url: str, xdisplay: str
) -> None:
    """A question popping up the moment the customer stopped is the nagging a no prevents."""
    async with open_pair(relay_url, xdisplay) as pair:
        await start(pair, Activity.VIEW_DESKTOP)
        await next_share(pair.rep_sharing, ViewOpened)
        await pair.customer_sharing.stop()
        await next_share(pair.rep_sharing, ViewClosed)
        await pair.rep_sharing.ask(pair.customer_member(), Activity.CONTROL_DESKTOP)
        assert re.fullmatch(
            r"Bob was not asked to let you control their desktop \(mouse, keyboard, "
            r"clipboard\): the customer stopped sharing a moment ago; ask again in [45] s\.",
            await notice(pair.rep_sharing, "was not asked"),
        )
        assert pair.customer_sharing.status() == "Nothing is shared."
        assert not any(isinstance(e, ConsentAsked) for e in pending(pair.customer_sharing))


async def test_no_answer_is_a_no(relay_url: str, xdisplay: str) -> None:
    async with open_pair(relay_url, xdisplay, answer_timeout=0.3) as pair:
        await pair.rep_sharing.ask(pair.customer_member(), Activity.VIEW_DESKTOP)
        await next_share(pair.customer_sharing, ConsentAsked)
        notice = await next_share(pair.rep_sharing, ShareNotice)  # "Asked Bob ..."
        notice = await next_share(pair.rep_sharing, ShareNotice)
        assert notice.text == "Bob did not answer in time: you may not view their desktop."
        await pair.customer_sharing.answer("y")  # too late: the question is gone
        await trio.sleep(0.2)
        assert pair.rep_sharing.view is None
        assert pair.customer_sharing.status() == "Nothing is shared."


async def test_one_monitor_or_all_each_exact(relay_url: str, tmp_path: Path) -> None:
    with open_xvfb(2304, 800) as display:
        set_monitors(display, (0, 0, 1280, 800), (1280, 0, 1024, 768))
        async with (
            open_probe(display, x=1400, y=100) as _probe,
            open_pair(relay_url, display) as pair,
        ):
            pair.rep_sharing.want_monitor(2)
            await start(pair, Activity.VIEW_DESKTOP)
            await next_share(pair.rep_sharing, ViewOpened)
            second = display_pixels(display, Box(1280, 0, 1024, 768))
            got = await settled_view(pair, second)
            assert pair.rep_sharing.view is not None
            assert got.shape == second.shape, pair.rep_sharing.view.decoder.size
            assert np.array_equal(got, second), np.argwhere(got != second)[:5]
            await pair.rep_sharing.select(0)
            whole = display_pixels(display)
            assert np.array_equal(await settled_view(pair, whole), whole)


async def test_the_customers_word_on_what_is_shared_wins(relay_url: str, xdisplay: str) -> None:
    async with open_pair(relay_url, xdisplay) as pair:
        await start(pair, Activity.VIEW_DESKTOP)
        await next_share(pair.rep_sharing, ViewOpened)
        rep = pair.rep.id
        await pair.customer.send_message(rep, ActivityStatus(Activity.CONTROL_DESKTOP, rep))
        rejected = await next_share(pair.rep_sharing, ShareRejected)
        assert rejected.reason == "a status naming control-desktop, which was not granted"
        assert not pair.rep_sharing.control
        await pair.customer.send_message(rep, ActivityStatus(None, rep))
        await next_share(pair.rep_sharing, ViewClosed)
        assert pair.rep_sharing.status() == "Nothing is shared."


async def test_the_rep_shows_their_desktop_once_the_customer_agrees(
    relay_url: str, xdisplay: str
) -> None:
    with open_xvfb() as rep_display:
        async with (
            open_probe(rep_display, title="Rep's notes"),
            open_pair(relay_url, xdisplay, rep_display=rep_display) as pair,
        ):
            await pair.rep_sharing.ask(pair.customer_member(), Activity.SHOW_REP_DESKTOP)
            asked = await next_share(pair.customer_sharing, ConsentAsked)
            assert asked.prompt == "Alice (rep) asks to show you their desktop. Allow? [y/N]"
            await pair.customer_sharing.answer("y")
            opened = await next_share(pair.customer_sharing, ViewOpened)
            assert opened.banner == "Alice's desktop"
            expected = display_pixels(rep_display)
            view = opened.view
            with trio.fail_after(15):
                while not (view.frames and np.array_equal(view.picture(), expected)):
                    await view.frame_done.wait()
            await pair.rep_sharing.stop()
            await next_share(pair.customer_sharing, ViewClosed)


async def test_an_application_view_follows_its_window_when_it_moves(
    relay_url: str, xdisplay: str
) -> None:
    async with (
        open_probe(xdisplay, x=100, y=80, title="Mover") as probe,
        open_pair(relay_url, xdisplay) as pair,
    ):
        await start(pair, Activity.VIEW_APP, title="Mover")
        await next_share(pair.rep_sharing, ViewOpened)
        _, _, w, h = probe.box
        first = display_pixels(xdisplay, Box(100, 80, w, h))
        assert np.array_equal(await settled_view(pair, first), first)
        await probe.command("move 600 400")
        await probe.command("pattern 5")
        moved = display_pixels(xdisplay, Box(600, 400, w, h))
        assert np.array_equal(await settled_view(pair, moved), moved)
