"""The viewer's full-screen toggle under a real window manager (openbox on Xvfb, Qt's xcb)."""

from __future__ import annotations

import json
import sys

import trio

from peer._capture import Box
from peer._console import open_console
from peer._x11 import X11Windows
from tests.x11.wm import open_window_manager
from tests.x11.xvfb import open_xvfb

WHOLE_SCREEN = Box(0, 0, 1280, 800)


async def box_becomes(display: str, title: str, wanted: object) -> Box:
    """The viewer window's box once *wanted* (a Box, or a test on one) holds."""
    windows = X11Windows(display)
    try:
        with trio.fail_after(10):
            while True:
                box = next((w.box for w in windows.windows() if w.title == title), None)
                if box is not None and (wanted(box) if callable(wanted) else box == wanted):
                    return box
                await trio.sleep(0.05)
    finally:
        windows.close()


async def test_the_full_screen_toggle_fills_the_screen_and_gives_it_back() -> None:
    with open_xvfb() as display, open_window_manager(display):
        argv = [sys.executable, "-m", "tests.viewer.fullscreen_app"]
        env = {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        async with open_console("viewer", argv, env=env) as viewer:
            title = json.loads((await viewer.expect(r'^\{"ready"', 20)).string)["ready"]
            before = await box_becomes(display, title, lambda b: b.width < 1280)
            await viewer.send("toggle")
            assert json.loads((await viewer.expect(r'^\{"done"')).string)["full"]
            await box_becomes(display, title, WHOLE_SCREEN)
            await viewer.send("toggle")
            assert not json.loads((await viewer.expect(r'^\{"done"')).string)["full"]
            after = await box_becomes(display, title, lambda b: b != WHOLE_SCREEN)
            assert (after.width, after.height) == (before.width, before.height)
