"""Control of one application reaches only that window: real relay, Xvfb, real Tk windows.

"Calculator" is the shared window; "Terminal" overlaps it and, at first,
holds the keyboard focus, as in the attacker's probe. Each test ends by
showing that Terminal recorded nothing the rep sent.
"""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from codec import Activity, KeyInput, PointerButton, PointerMotion
from peer._share_events import ShareNotice, ViewOpened
from tests.sharing.pair import next_share, open_pair
from tests.sharing.test_sharing import start
from tests.x11.probe import open_probe
from tests.x11.wm import open_window_manager
from tests.x11.xvfb import open_xvfb

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from tests.sharing.pair import Pair
    from tests.x11.probe import Probe

ALT, CTRL, TAB, F12 = 0xFFE9, 0xFFE3, 0xFF09, 0xFFC9
POINTER_ENABLE_KEYS, POINTER_BUTTON1, TERMINATE_SERVER = 0xFEF9, 0xFEE9, 0xFED5
MOUSE_KEYS = "(the X server's mouse keys: it moves and clicks the pointer)"


async def told(pair: Pair, text: str) -> None:
    """The rep is told *text* (other notices before it are passed over)."""
    while (await next_share(pair.rep_sharing, ShareNotice)).text != f"! {text}":
        pass


async def key(pair: Pair, keysym: int, text: str = "") -> None:
    await pair.rep_sharing.send_input(KeyInput(keysym, True, text))
    await pair.rep_sharing.send_input(KeyInput(keysym, False, text))


async def click(pair: Pair, x: int, y: int) -> None:
    for event in (PointerMotion(x, y), PointerButton(1, True, x, y), PointerButton(1, False, x, y)):
        await pair.rep_sharing.send_input(event)


def received(client: Any) -> list[int]:
    """The types of the events an X client (a desktop daemon) got so far."""
    client.sync()  # whatever reached it is queued here now
    types = []
    while client.pending_events():
        types.append(client.next_event().type)
    return types


async def recorded_nothing(probe: Probe) -> None:
    await probe.command("pattern 1")  # its events so far are all printed
    assert not [line for line in probe.console.lines if line.startswith(('{"key"', '{"click"'))]


@asynccontextmanager
async def controlling(relay_url: str, display: str) -> AsyncIterator[tuple[Pair, Probe, Probe]]:
    """Calculator under Terminal, which has the focus; the rep controls Calculator."""
    async with (
        open_probe(display, x=100, y=80, width=400, height=300, title="Calculator") as calc,
        open_probe(display, x=300, y=230, width=400, height=300, title="Terminal") as term,
        open_pair(relay_url, display) as pair,
    ):
        await start(pair, Activity.CONTROL_APP, title="Calculator")
        await next_share(pair.rep_sharing, ViewOpened)
        yield pair, calc, term


async def test_the_shared_window_comes_to_the_front_with_the_keys(
    relay_url: str, xdisplay: str
) -> None:
    async with controlling(relay_url, xdisplay) as (pair, calc, term):
        await click(pair, 300, 200)  # where Terminal was on top: Calculator is now
        assert (await calc.next("click"))["click"] == [300, 200, 1]
        await key(pair, 0, "z")
        assert await calc.typed(1) == "z"
        await recorded_nothing(term)


async def test_keys_are_not_sent_while_another_window_has_the_focus(
    relay_url: str, xdisplay: str
) -> None:
    async with controlling(relay_url, xdisplay) as (pair, calc, term):
        await term.command("focus")  # the customer clicks into Terminal meanwhile
        await click(pair, 20, 20)  # a click into Calculator: clicks do not move the focus here
        assert (await calc.next("click"))["click"] == [20, 20, 1]
        await key(pair, 0, "q")
        await key(pair, ord("w"))
        await told(pair, "Bob's focus is on another window; keys are not sent")
        await calc.command("focus")  # the customer gives it back
        await key(pair, 0, "k")
        assert await calc.typed(1) == "k"  # not "q", not "w"
        await recorded_nothing(term)


async def test_clicks_where_another_window_covers_the_shared_one_are_not_sent(
    relay_url: str, xdisplay: str
) -> None:
    async with controlling(relay_url, xdisplay) as (pair, calc, term):
        await term.command("raise")  # the customer brings Terminal back on top
        await click(pair, 300, 200)  # inside Calculator's box, under Terminal
        covered = "another window covers that part of “Calculator”; clicks there are not sent"
        await told(pair, covered)
        await click(pair, 50, 60)
        assert (await calc.next("click"))["click"] == [50, 60, 1]
        await recorded_nothing(term)


async def test_desktop_shortcuts_are_not_sent_to_an_application(
    relay_url: str, xdisplay: str
) -> None:
    async with controlling(relay_url, xdisplay) as (pair, calc, _):
        await pair.rep_sharing.send_input(KeyInput(ALT, True))
        await key(pair, TAB)
        await pair.rep_sharing.send_input(KeyInput(ALT, False))
        await told(pair, "Alt+Tab acts on Bob's desktop, not on “Calculator”; it is not sent")
        await key(pair, TAB)
        # Tk records presses: Alt went down, its Tab did not; the Tab after Alt went up did.
        assert [(await calc.next("key"))["key"] for _ in range(2)] == ["Alt_L", "Tab"]


@contextmanager
def desktop_hotkey(xdisplay: str, keysym: int, modifiers: int) -> Iterator[Any]:
    """A daemon's passive grab of *keysym* with *modifiers* on the root; its connection."""
    from Xlib import X, display

    hotkeys = display.Display(xdisplay)
    code = hotkeys.keysym_to_keycode(keysym)
    hotkeys.screen().root.grab_key(code, modifiers, False, X.GrabModeAsync, X.GrabModeAsync)
    hotkeys.sync()
    try:
        yield hotkeys
    finally:
        hotkeys.close()


async def test_a_key_a_desktop_hotkey_holds_is_not_sent(relay_url: str, xdisplay: str) -> None:
    from Xlib import X

    # A drop-down terminal's daemon: F12 for the desktop.
    with desktop_hotkey(xdisplay, F12, X.AnyModifier) as hotkeys:
        async with controlling(relay_url, xdisplay) as (pair, calc, _):
            await key(pair, F12)
            await told(
                pair, "F12 is a shortcut of Bob's desktop, not of “Calculator”; it is not sent"
            )
            await key(pair, 0, "k")
            assert await calc.typed(1) == "k"
            assert X.KeyPress not in received(hotkeys)


async def test_text_whose_key_a_desktop_hotkey_holds_is_not_typed(
    relay_url: str, xdisplay: str
) -> None:
    from Xlib import XK, X

    with desktop_hotkey(xdisplay, XK.XK_q, X.ShiftMask) as hotkeys:  # a daemon's Shift+Q
        async with controlling(relay_url, xdisplay) as (pair, calc, _):
            await key(pair, 0, "Q")  # typed as Shift and the Q key
            await told(
                pair, "Q is a shortcut of Bob's desktop, not of “Calculator”; it is not sent"
            )
            await key(pair, 0, "q")
            assert await calc.typed(1) == "q"
            assert X.KeyPress not in received(hotkeys)


async def test_under_a_window_manager_the_shared_window_is_activated_and_gets_the_keys(
    relay_url: str,
) -> None:
    with open_xvfb() as display, open_window_manager(display):
        async with controlling(relay_url, display) as (pair, calc, term):
            await key(pair, 0, "z")
            assert await calc.typed(1) == "z"
            await term.command("focus")
            await key(pair, 0, "q")
            await told(pair, "Bob's focus is on another window; keys are not sent")
            await recorded_nothing(term)


async def test_keys_the_x_server_acts_on_itself_click_nowhere(
    relay_url: str, xdisplay: str
) -> None:
    from Xlib import X, display
    from Xlib.ext import xtest

    async with controlling(relay_url, xdisplay) as (pair, calc, term):
        customer = display.Display(xdisplay)  # the customer's own mouse rests on Terminal
        xtest.fake_input(customer, X.MotionNotify, x=650, y=480)
        customer.sync()
        customer.close()
        await key(pair, POINTER_ENABLE_KEYS)  # the X server's mouse keys on, then a click
        await told(
            pair,
            f"key 0xfef9 {MOUSE_KEYS} acts on Bob's desktop, not on “Calculator”; it is not sent",
        )
        await key(pair, POINTER_BUTTON1)
        await told(
            pair,
            f"key 0xfee9 {MOUSE_KEYS} acts on Bob's desktop, not on “Calculator”; it is not sent",
        )
        await key(pair, 0, "k")
        assert await calc.typed(1) == "k"
        await recorded_nothing(term)


async def test_terminate_server_does_not_end_the_customers_x_session(relay_url: str) -> None:
    from Xlib import display

    with open_xvfb() as screen:
        async with controlling(relay_url, screen) as (pair, calc, _):
            await key(pair, TERMINATE_SERVER)
            await told(
                pair,
                "Terminate_Server (it ends the whole X session) acts on Bob's desktop,"
                " not on “Calculator”; it is not sent",
            )
            await key(pair, 0, "k")
            assert await calc.typed(1) == "k"
            other = display.Display(screen)  # any program on the desktop: still connected
            other.get_input_focus()
            other.close()


async def test_alt_click_and_a_desktop_mouse_binding_are_not_sent(
    relay_url: str, xdisplay: str
) -> None:
    from Xlib import X, display

    daemon = display.Display(xdisplay)  # a mouse-gesture daemon's Ctrl+right button on the root
    root = daemon.screen().root
    mode = X.GrabModeAsync
    root.grab_button(3, X.ControlMask, False, X.ButtonPressMask, mode, mode, X.NONE, X.NONE)
    daemon.sync()
    try:
        async with controlling(relay_url, xdisplay) as (pair, calc, _):
            await pair.rep_sharing.send_input(KeyInput(ALT, True))
            await click(pair, 40, 40)
            await told(
                pair,
                "Alt+click is the window manager's on Bob's desktop (it moves and resizes"
                " windows); it is not sent",
            )
            await pair.rep_sharing.send_input(KeyInput(ALT, False))
            await pair.rep_sharing.send_input(KeyInput(CTRL, True))
            for event in (PointerButton(3, True, 40, 40), PointerButton(3, False, 40, 40)):
                await pair.rep_sharing.send_input(event)
            await told(
                pair,
                "Ctrl+right click is a mouse binding of Bob's desktop, not of “Calculator”;"
                " it is not sent",
            )
            await click(pair, 50, 60)  # Ctrl+click is the application's own: it goes in
            assert (await calc.next("click"))["click"] == [50, 60, 1]
            assert X.ButtonPress not in received(daemon)
    finally:
        daemon.close()
