"""The X11 adapters on a real Xvfb with a real Tk window: capture, windows, damage, input."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import trio

from codec import Monitor
from peer import _capture
from peer._capture import Box, CaptureError, MssSource, XlibSource, open_screen_source
from peer._inject import XTestInput
from peer._x11 import DamageWatcher, X11Windows
from tests.x11.probe import open_probe
from tests.x11.xvfb import open_xvfb, set_monitors

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    Drawing = tuple[Any, Any, Any, DamageWatcher]

RED = (0x30, 0x30, 0xD0)  # the probe's first band, as BGR


def bgr_at(frame: np.ndarray, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in frame[y, x, :3])


async def test_capture_shows_the_window_where_it_is(xdisplay: str) -> None:
    async with open_probe(xdisplay, x=100, y=80) as probe:
        source = open_screen_source(xdisplay)
        try:
            frame = source.grab(source.bounds())
            assert frame.shape == (800, 1280, 4)
            x, y, _, _ = probe.box
            assert bgr_at(frame, x + 5, y + 5) == RED
            assert bgr_at(frame, x - 5, y + 5) != RED
        finally:
            source.close()


async def test_mss_and_plain_x11_capture_the_same_pixels(xdisplay: str) -> None:
    async with open_probe(xdisplay):
        fast, plain = MssSource(xdisplay), XlibSource(xdisplay)
        try:
            box = Box(50, 40, 600, 400)
            assert np.array_equal(fast.grab(box)[..., :3], plain.grab(box)[..., :3])
        finally:
            fast.close()
            plain.close()


async def test_a_box_read_straight_into_a_bgr_buffer_is_the_box_grabbed(xdisplay: str) -> None:
    async with open_probe(xdisplay, x=100, y=80) as probe:
        sources = [open_screen_source(xdisplay), XlibSource(xdisplay)]
        try:
            assert isinstance(sources[0], MssSource)
            x, y, _, _ = probe.box
            box = Box(x - 7, y - 3, 301, 157)
            for source in sources:
                grabbed = source.grab(box)[..., :3]
                screen = np.zeros((400, 500, 3), dtype=np.uint8)
                source.read_bgr(box, screen[20 : 20 + 157, 30 : 30 + 301])
                assert np.array_equal(screen[20 : 20 + 157, 30 : 30 + 301], grabbed)
                assert np.count_nonzero(screen) == np.count_nonzero(grabbed)  # nothing beside
        finally:
            for source in sources:
                source.close()


def test_capture_falls_back_to_plain_x11_where_mss_fails(
    xdisplay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(display: str | None) -> None:
        raise CaptureError("mss cannot read this screen: depth listed twice")

    monkeypatch.setattr(_capture, "MssSource", refuse)
    source = open_screen_source(xdisplay)
    try:
        assert isinstance(source, XlibSource)
        assert source.grab(Box(0, 0, 8, 8)).shape == (8, 8, 4)
    finally:
        source.close()


def test_no_display_is_a_clear_capture_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(CaptureError, match="no X display"):
        open_screen_source(None)


def test_two_monitors_are_listed_in_order() -> None:
    with open_xvfb(2304, 800) as display:
        set_monitors(display, (0, 0, 1280, 800), (1280, 0, 1024, 768))
        for source in (MssSource(display), XlibSource(display)):
            try:
                assert source.monitors() == [Monitor(0, 0, 1280, 800), Monitor(1280, 0, 1024, 768)]
            finally:
                source.close()


async def test_windows_are_found_by_title_and_followed_when_moved(xdisplay: str) -> None:
    async with open_probe(xdisplay, x=100, y=80, title="Probe Ä") as probe:
        windows = X11Windows(xdisplay)
        try:
            (found,) = [w for w in windows.windows() if w.title == "Probe Ä"]
            assert found.box == Box(*probe.box)
            await probe.command("move 300 200")
            moved = windows.find(found.id)
            assert moved is not None
            assert (moved.box.x, moved.box.y) == (300, 200)
        finally:
            windows.close()


async def test_a_window_on_top_is_reported_as_covering(xdisplay: str) -> None:
    async with (
        open_probe(xdisplay, x=100, y=80, title="Below") as below,
        open_probe(xdisplay, x=300, y=200, width=200, height=150, title="Above") as above,
    ):
        await above.command("raise")
        windows = X11Windows(xdisplay)
        try:
            (target,) = [w for w in windows.windows() if w.title == "Below"]
            assert Box(*above.box) in windows.covering(target.id)
            assert Box(*below.box) not in windows.covering(target.id)
        finally:
            windows.close()


async def test_damage_reports_drawing_and_stays_quiet_when_idle(xdisplay: str) -> None:
    async with open_probe(xdisplay) as probe:
        watcher = DamageWatcher(xdisplay)
        try:
            assert not watcher.polling
            await trio.sleep(0.2)
            with trio.move_on_after(0.1):
                while True:
                    await watcher.wait_change()  # drain what was drawn before
            with trio.move_on_after(0.3) as idle:
                await watcher.wait_change()
            assert idle.cancelled_caught
            await probe.console.send("pattern 3")
            with trio.fail_after(5):
                await watcher.wait_change()
        finally:
            watcher.close()


async def test_damage_says_where_the_drawing_was(xdisplay: str) -> None:
    async with open_probe(xdisplay, x=200, y=150) as probe:
        window = Box(*probe.box)
        watcher = DamageWatcher(xdisplay)
        try:
            await trio.sleep(0.2)
            with trio.move_on_after(0.1):
                while True:
                    await watcher.wait_change()  # drain what was drawn before
            await probe.console.send("pattern 5")
            drawn: list[Box] = []
            with trio.move_on_after(0.5):  # the whole redraw, however many reports it takes
                while True:
                    drawn += await watcher.wait_change() or []
            assert drawn
            assert all(box.clip(window) == box for box in drawn)  # nothing outside the window
            assert sum(box.width * box.height for box in drawn) >= window.width * window.height
        finally:
            watcher.close()


async def _drain(watcher: DamageWatcher, wait: float) -> None:
    """Take what was drawn before, until a wait three times ``wait`` is idle."""
    while True:
        with trio.move_on_after(wait * 3) as idle:
            await watcher.wait_change()
        if idle.cancelled_caught:
            return


@asynccontextmanager
async def watching(xdisplay: str, **timing: float) -> AsyncIterator[Drawing]:
    """An X window of our own, a GC that paints white, a watcher past what came before."""
    from Xlib import display

    painter = display.Display(xdisplay)
    screen = painter.screen()
    window = screen.root.create_window(
        0,
        0,
        800,
        600,
        0,
        screen.root_depth,
        background_pixel=screen.black_pixel,
        override_redirect=True,
    )
    window.map()
    painter.sync()
    watcher = DamageWatcher(xdisplay, **timing)
    try:
        await _drain(watcher, min(timing.values()))
        yield painter, window, window.create_gc(foreground=screen.white_pixel), watcher
    finally:
        watcher.close()
        painter.close()


async def test_drawing_that_follows_within_a_moment_is_one_change(xdisplay: str) -> None:
    """A scroll moves the contents, then draws what it uncovered: one change, not two.

    Its start is handed over at once, marked as still being drawn, to be read back
    while the rest comes.
    """
    async with watching(xdisplay, quiet=0.5, coalesce=5.0) as (painter, window, gc, watcher):
        reports: list[tuple[list[Box] | None, bool]] = []
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                reports.append((await watcher.wait_change(), watcher.drawing))
                reports.append((await watcher.wait_change(), watcher.drawing))

            nursery.start_soon(watch)
            await trio.sleep(0.1)  # the watcher is waiting when the first drawing comes
            window.fill_rectangle(gc, 0, 0, 600, 500)  # large: contents moved, say
            painter.flush()
            await trio.sleep(0.05)  # well inside the quiet half second
            window.fill_rectangle(gc, 700, 550, 40, 40)  # the lines it uncovered
            painter.flush()
        assert reports == [([Box(0, 0, 600, 500)], True), ([Box(700, 550, 40, 40)], False)]


async def test_a_small_drawing_and_what_follows_at_once_are_one_change(xdisplay: str) -> None:
    """A moved window is drawn where it lands, then where it uncovered: one change."""
    timing = {"small_quiet": 0.3, "quiet": 0.3, "coalesce": 5.0}
    async with watching(xdisplay, **timing) as (painter, window, gc, watcher):
        reports: list[list[Box] | None] = []
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                reports.append(await watcher.wait_change())

            nursery.start_soon(watch)
            await trio.sleep(0.1)
            window.fill_rectangle(gc, 100, 100, 60, 40)  # the window where it lands
            painter.flush()
            await trio.sleep(0.03)  # well inside the pause
            window.fill_rectangle(gc, 90, 100, 10, 40)  # the strip it uncovered
            painter.flush()
        assert reports == [[Box(100, 100, 60, 40), Box(90, 100, 10, 40)]]


async def test_a_small_drawing_is_reported_at_once(xdisplay: str) -> None:
    """A keystroke waits a moment at most: only a large drawing waits long for what follows."""
    # The window's first drawing is large: taking it waits the whole second.
    async with watching(xdisplay, quiet=5.0, coalesce=1.0) as (painter, window, gc, watcher):
        window.fill_rectangle(gc, 10, 10, 8, 16)
        painter.flush()
        with trio.fail_after(0.8):  # not the second a large drawing may wait
            assert await watcher.wait_change() == [Box(10, 10, 8, 16)]


async def test_a_screen_that_never_stops_drawing_is_still_reported(xdisplay: str) -> None:
    async with watching(xdisplay, quiet=1.0, coalesce=0.3) as (painter, window, gc, watcher):
        async with trio.open_nursery() as nursery:

            async def paint() -> None:
                window.fill_rectangle(gc, 0, 0, 600, 500)
                for step in range(361):  # somewhere new every 20 ms: never a quiet second
                    x, y = 400 + step % 19 * 20, 100 + step // 19 * 20
                    window.fill_rectangle(gc, x, y, 20, 20)
                    painter.flush()
                    await trio.sleep(0.02)

            nursery.start_soon(paint)
            with trio.fail_after(5):
                start, drawing = await watcher.wait_change(), watcher.drawing  # at once
                rest, still = await watcher.wait_change(), watcher.drawing  # it never pauses
            assert (bool(start), drawing, bool(rest), still) == (True, True, True, False)
            nursery.cancel_scope.cancel()


async def test_clicks_arrive_at_the_coordinates_given(xdisplay: str) -> None:
    async with open_probe(xdisplay, x=100, y=80) as probe:
        sink = XTestInput(xdisplay)
        try:
            sink.move(100 + 37, 80 + 52)
            sink.button(1, down=True)
            sink.button(1, down=False)
            assert (await probe.next("click"))["click"] == [37, 52, 1]
            sink.move(100 + 200, 80 + 10)
            sink.button(3, down=True)
            sink.button(3, down=False)
            assert (await probe.next("click"))["click"] == [200, 10, 3]
        finally:
            sink.close()


async def test_typed_text_arrives_including_characters_the_layout_lacks(xdisplay: str) -> None:
    async with open_probe(xdisplay, x=100, y=80) as probe:
        sink = XTestInput(xdisplay)
        try:
            sink.move(150, 150)
            sink.type_text("aZ 9é€ж")
            assert await probe.typed(7) == "aZ 9é€ж"
        finally:
            sink.close()


async def test_closing_the_input_releases_what_the_rep_held(xdisplay: str) -> None:
    async with open_probe(xdisplay, x=100, y=80) as probe:
        sink = XTestInput(xdisplay)
        sink.move(100 + 20, 80 + 20)
        sink.button(1, down=True)  # control revoked mid-drag: no release comes
        sink.close()
        sink = XTestInput(xdisplay)
        try:
            await probe.next("click")
            sink.button(1, down=True)  # would be swallowed if button 1 were still down
            sink.button(1, down=False)
            assert (await probe.next("click"))["click"] == [20, 20, 1]
        finally:
            sink.close()
