"""Control of the desktop: the X server's own keys stay out, and a vanished X server ends
sharing with a line on both sides (real relay, Xvfb)."""

from __future__ import annotations

import dataclasses
import time
from contextlib import suppress

from codec import Activity, KeyInput
from peer._inject import XTestInput
from peer._share_backends import x11_backends
from peer._share_events import ShareNotice, ViewOpened
from tests.sharing.pair import next_share, open_pair
from tests.sharing.test_app_control import told
from tests.sharing.test_sharing import start
from tests.x11.xvfb import open_xvfb

TERMINATE_SERVER = 0xFED5
GONE = "the X display closed; the programs on it are gone"


def alive(screen: str) -> bool:
    """True while another program on *screen* still talks to its X server."""
    from Xlib import display
    from Xlib.error import ConnectionClosedError, DisplayConnectionError

    try:
        other = display.Display(screen)
        other.get_input_focus()
        other.close()
    except (ConnectionClosedError, DisplayConnectionError, OSError):
        return False
    return True


def zap(screen: str) -> None:
    """End *screen*'s X server as its Terminate_Server key does (Xvfb lets it)."""
    from Xlib import X, display
    from Xlib.error import ConnectionClosedError
    from Xlib.ext import xtest

    killer = display.Display(screen)
    first, last = killer.display.info.min_keycode, killer.display.info.max_keycode
    rows = killer.get_keyboard_mapping(first, last - first + 1)
    spare = next(first + i for i, row in enumerate(rows) if not any(row))
    killer.change_keyboard_mapping(spare, [(TERMINATE_SERVER,) * 4])
    killer.sync()
    xtest.fake_input(killer, X.KeyPress, spare)
    xtest.fake_input(killer, X.KeyRelease, spare)
    with suppress(ConnectionClosedError):  # the server is gone, as asked
        for _ in range(100):
            killer.sync()
            time.sleep(0.05)
        raise AssertionError("the X server outlived its Terminate_Server key")


def test_the_injector_never_presses_terminate_server() -> None:
    with open_xvfb() as screen:
        sink = XTestInput(screen)
        sink.key(TERMINATE_SERVER, True)
        sink.key(TERMINATE_SERVER, False)
        sink.close()
        assert alive(screen)


async def test_terminate_server_is_not_sent_under_control_of_the_desktop(relay_url: str) -> None:
    with open_xvfb() as screen:
        async with open_pair(relay_url, screen) as pair:
            await start(pair, Activity.CONTROL_DESKTOP)
            await next_share(pair.rep_sharing, ViewOpened)
            for down in (True, False):
                await pair.rep_sharing.send_input(KeyInput(TERMINATE_SERVER, down))
            await told(
                pair,
                "Terminate_Server (it ends the whole X session) acts on Bob's X server itself;"
                " it is not sent",
            )
            assert alive(screen)


async def test_an_x_server_that_dies_under_control_ends_sharing_with_a_line_each(
    relay_url: str, xdisplay: str
) -> None:
    with open_xvfb() as input_screen:
        # The keys go to an X server of their own, which dies: the screen stays readable,
        # so it is the input's failure that has to end sharing, not the capture's.
        backends = dataclasses.replace(
            x11_backends(xdisplay), open_input=lambda: XTestInput(input_screen)
        )
        async with open_pair(relay_url, xdisplay, customer_backends=backends) as pair:
            await start(pair, Activity.CONTROL_DESKTOP)
            await next_share(pair.rep_sharing, ViewOpened)
            zap(input_screen)
            await pair.rep_sharing.send_input(KeyInput(ord("k"), True))
            await told(pair, f"sharing stopped: {GONE}")
            while (await next_share(pair.customer_sharing, ShareNotice)).text != (
                f"* Sharing stopped: {GONE}"
            ):
                pass
            assert pair.customer_sharing.status() == "Nothing is shared."
