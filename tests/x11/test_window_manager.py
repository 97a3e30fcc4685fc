"""Under a real window manager (openbox): the window list shows the applications, by title."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio

from peer._capture import Box
from peer._x11 import X11Windows
from tests.x11.probe import open_probe
from tests.x11.wm import open_window_manager
from tests.x11.xvfb import open_xvfb

if TYPE_CHECKING:
    from collections.abc import Iterator

    from peer._x11 import WindowInfo


@pytest.fixture(scope="module")
def managed_display() -> Iterator[str]:
    with open_xvfb() as display, open_window_manager(display):
        yield display


async def listed(display: str, *titles: str) -> list[WindowInfo]:
    """The window list once every one of *titles* is in it (the manager maps them late)."""
    windows = X11Windows(display)
    try:
        with trio.fail_after(10):
            while True:
                found = windows.windows()
                if all(any(w.title == t for w in found) for t in titles):
                    return found
                await trio.sleep(0.05)
    finally:
        windows.close()


async def test_the_window_list_names_each_framed_application_once(managed_display: str) -> None:
    async with (
        open_probe(managed_display, x=100, y=80, title="Invoice — draft"),
        open_probe(managed_display, x=600, y=300, width=300, height=200, title="Terminal"),
    ):
        found = await listed(managed_display, "Invoice — draft", "Terminal")
        titles = sorted(w.title for w in found)
        assert titles == ["Invoice — draft", "Terminal"]


async def test_a_listed_window_is_its_contents_without_the_managers_frame(
    managed_display: str,
) -> None:
    async with open_probe(managed_display, x=200, y=150, width=420, height=280) as probe:
        (window,) = [w for w in await listed(managed_display, "Probe") if w.title == "Probe"]
        # The probe's own idea of where its canvas is, not the title bar above it.
        assert window.box == Box(*probe.box)
        assert window.id != 0


async def test_a_window_moved_through_the_manager_is_followed(managed_display: str) -> None:
    async with open_probe(managed_display, x=100, y=100, width=300, height=200) as probe:
        (before,) = [w for w in await listed(managed_display, "Probe") if w.title == "Probe"]
        await probe.command("move 500 400")
        windows = X11Windows(managed_display)
        try:
            with trio.fail_after(5):
                # The X server's state, not an event of ours: nothing to wait on but it.
                while (now := windows.find(before.id)) is None or now.box == before.box:  # noqa: ASYNC110
                    await trio.sleep(0.05)
        finally:
            windows.close()
        assert (now.box.width, now.box.height) == (300, 200)
        assert now.box.x > before.box.x
        assert now.box.y > before.box.y
