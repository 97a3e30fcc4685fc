"""The sharer on fake adapters: credit, coalescing, one capture for all viewers, consent checks."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import trio

from codec import CreditGrant, Message, ScreenDecoder, ScreenEncoder, ScreenUpdate
from peer._capture import Box
from peer._screen_share import Region, ScreenSharer
from tests.sharing.fakes import FakeChanges, FakeScreen

if TYPE_CHECKING:
    import pytest


class Wire:
    """Collects what the sharer sends, per viewer."""

    def __init__(self) -> None:
        self.sent: dict[int, list[bytes]] = {}
        self.arrived = trio.Event()

    async def send(self, to: int, message: Message) -> None:
        assert isinstance(message, ScreenUpdate)
        self.sent.setdefault(to, []).append(message.data)
        self.arrived.set()
        self.arrived = trio.Event()

    async def wait(self, to: int, count: int) -> None:
        with trio.fail_after(5):
            while len(self.sent.get(to, [])) < count:
                await self.arrived.wait()


def sees_the_screen(wire: Wire, viewer: int, screen: FakeScreen) -> bool:
    """Does what *viewer* was sent decode to the screen as it is now?"""
    decoder = ScreenDecoder()
    for data in wire.sent[viewer]:
        decoder.feed(data)
    return bool(np.array_equal(decoder.framebuffer, screen.pixels[..., :3]))


def sharer_on(
    screen: FakeScreen, changes: FakeChanges, wire: Wire, allowed: set[int]
) -> ScreenSharer:
    return ScreenSharer(screen, changes, wire.send, lambda v: v in allowed, region=Region())


async def sharing_one_viewer(
    nursery: trio.Nursery,
) -> tuple[FakeScreen, FakeChanges, Wire, ScreenSharer]:
    """A sharer whose one viewer (1) has its keyframe and credit for more."""
    screen, changes, wire = FakeScreen(), FakeChanges(), Wire()
    sharer = sharer_on(screen, changes, wire, {1})
    sharer.add_viewer(1)
    nursery.start_soon(sharer.run)
    sharer.grant(1, CreditGrant(2, keyframe=True))
    await wire.wait(1, 1)
    return screen, changes, wire, sharer


async def test_nothing_is_captured_or_sent_without_permission(nursery: trio.Nursery) -> None:
    screen, changes, wire = FakeScreen(), FakeChanges(), Wire()
    sharer = sharer_on(screen, changes, wire, allowed=set())
    sharer.add_viewer(1)
    nursery.start_soon(sharer.run)
    sharer.grant(1, CreditGrant(2, keyframe=True))
    changes.changed()
    await trio.testing.wait_all_tasks_blocked()
    assert (sharer.captures, wire.sent) == (0, {})


async def test_a_revoke_during_a_capture_stops_that_frame(nursery: trio.Nursery) -> None:
    screen, changes, wire = FakeScreen(), FakeChanges(), Wire()
    allowed = {1}
    screen.during_grab = allowed.clear  # the customer revokes while the screen is read
    sharer = sharer_on(screen, changes, wire, allowed)
    sharer.add_viewer(1)
    nursery.start_soon(sharer.run)
    sharer.grant(1, CreditGrant(2, keyframe=True))
    flow = sharer._viewers[1].flow
    with trio.fail_after(5):
        # Set from the capture thread and the sharer's task: nothing to wait on but the values.
        while screen.grabs < 1 or not flow.keyframe_due:  # noqa: ASYNC110
            await trio.sleep(0.01)
    assert wire.sent == {}
    screen.during_grab = None
    screen.paint(77)
    allowed.add(1)  # allowed again later: the first frame out shows the screen of then
    changes.changed()
    await wire.wait(1, 1)
    decoder = ScreenDecoder()
    decoder.feed(wire.sent[1][0])
    assert int(decoder.framebuffer[0, 0, 0]) == 77


async def test_changes_without_credit_arrive_as_one_frame_of_the_newest_screen(
    nursery: trio.Nursery,
) -> None:
    screen, changes, wire = FakeScreen(), FakeChanges(), Wire()
    sharer = sharer_on(screen, changes, wire, {1})
    sharer.add_viewer(1)
    nursery.start_soon(sharer.run)
    sharer.grant(1, CreditGrant(1, keyframe=True))
    await wire.wait(1, 1)
    for value in range(10, 110, 10):  # ten changes while the viewer has no credit
        screen.paint(value)
        changes.changed()
    await trio.testing.wait_all_tasks_blocked()
    grabs = screen.grabs
    sharer.grant(1, CreditGrant(1))
    await wire.wait(1, 2)
    await trio.testing.wait_all_tasks_blocked()
    assert screen.grabs == grabs + 1
    decoder = ScreenDecoder()
    for data in wire.sent[1]:
        decoder.feed(data)
    assert int(decoder.framebuffer[0, 0, 0]) == 100


def two_viewers(
    nursery: trio.Nursery, credit: tuple[int, int]
) -> tuple[FakeScreen, FakeChanges, Wire, ScreenSharer]:
    """A sharer with viewers 1 and 2, each granted its *credit* with a keyframe."""
    screen, changes, wire = FakeScreen(), FakeChanges(), Wire()
    sharer = sharer_on(screen, changes, wire, {1, 2})
    sharer.add_viewer(1)
    sharer.add_viewer(2)
    nursery.start_soon(sharer.run)
    sharer.grant(1, CreditGrant(credit[0], keyframe=True))
    sharer.grant(2, CreditGrant(credit[1], keyframe=True))
    return screen, changes, wire, sharer


async def test_two_viewers_share_one_capture(nursery: trio.Nursery) -> None:
    screen, _, wire, _ = two_viewers(nursery, (2, 2))
    await wire.wait(1, 1)
    await wire.wait(2, 1)
    await trio.testing.wait_all_tasks_blocked()
    assert screen.grabs == 1


async def test_a_small_change_is_read_back_alone_and_arrives_exact(nursery: trio.Nursery) -> None:
    screen, changes, wire, _ = await sharing_one_viewer(nursery)
    read = screen.pixels_read
    screen.pixels[5:9, 40:50, :3] = (10, 200, 30)
    changes.changed(Box(40, 5, 10, 4))
    await wire.wait(1, 2)
    assert screen.pixels_read - read == 40
    assert sees_the_screen(wire, 1, screen)


async def test_a_change_still_being_drawn_is_read_meanwhile_and_sent_once_complete(
    nursery: trio.Nursery,
) -> None:
    screen, changes, wire, _ = await sharing_one_viewer(nursery)
    read = screen.pixels_read
    screen.pixels[0:30, 0:64, :3] = 90  # a page scrolled...
    changes.changed(Box(0, 0, 64, 30), more=True)
    with trio.fail_after(5):
        while screen.pixels_read == read:  # noqa: ASYNC110  (read in the capture thread)
            await trio.sleep(0.01)
    await trio.sleep(0.05)
    assert screen.pixels_read - read == 64 * 30  # read while the rest is drawn
    assert len(wire.sent[1]) == 1  # but nothing sent: the keyframe alone
    screen.pixels[30:33, 0:64, :3] = 120  # ...and the lines it uncovered
    changes.changed(Box(0, 30, 64, 3))
    await wire.wait(1, 2)
    assert screen.pixels_read - read == 64 * 33  # each part read once
    assert sees_the_screen(wire, 1, screen)


async def test_a_viewer_without_credit_later_gets_every_change_it_missed(
    nursery: trio.Nursery,
) -> None:
    """The encoder compares only what was drawn since *that viewer* last got a frame."""
    screen, changes, wire, sharer = two_viewers(nursery, (8, 1))  # 2: its keyframe alone
    await wire.wait(2, 1)
    screen.pixels[5:9, 40:50, :3] = (10, 200, 30)
    changes.changed(Box(40, 5, 10, 4))
    await wire.wait(1, 2)
    screen.pixels[30:40, 2:6, :3] = (200, 10, 30)
    changes.changed(Box(2, 30, 4, 10))
    await wire.wait(1, 3)
    sharer.grant(2, CreditGrant(1))
    await wire.wait(2, 2)
    assert sees_the_screen(wire, 2, screen)


async def test_lossy_pixels_are_captured_again_when_due_with_nothing_drawn(
    nursery: trio.Nursery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A still screen draws nothing, yet the viewer's approximations must be refreshed."""
    pending: dict[str, float | None] = {"due": time.monotonic() + 0.05}
    encode = ScreenEncoder.encode

    def refreshing(
        self: ScreenEncoder, frame: np.ndarray, *, now: float, damage: Any = None
    ) -> list[bytes]:
        due = pending["due"]
        if due is not None and now >= due:
            pending["due"] = None  # this capture refreshed the approximations
        return encode(self, frame, now=now, damage=damage)

    monkeypatch.setattr(ScreenEncoder, "encode", refreshing)
    monkeypatch.setattr(ScreenEncoder, "next_deadline", lambda _self: pending["due"])
    _, _, _, sharer = await sharing_one_viewer(nursery)
    captures = sharer.captures
    with trio.fail_after(5):
        while pending["due"] is not None:  # noqa: ASYNC110  (set by the capture thread)
            await trio.sleep(0.01)
    await trio.sleep(0.2)
    assert sharer.captures == captures + 1
